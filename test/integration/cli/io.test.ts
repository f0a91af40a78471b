import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { installTea, runTea, writeIn } from './tea';

jest.setTimeout(60_000);
const { tea, dir } = installTea();

// Echoes its input back plus a marker, on the main line and through a process branch.
const echo = writeIn(
  dir,
  'echo.yaml',
  `
settings: { parallel: { strategy: process } }
nodes:
  - { name: start, run: "return { seen: true }" }
  - { name: branch, run: "return { inBranch: state.text }" }
  - { name: join, run: "return { fromBranch: parallel_results[0].state.inBranch, branchBytes: JSON.stringify(parallel_results[0].state).length }" }
edges:
  - { from: start, to: branch, type: parallel, fan_in: join }
  - { from: branch, to: join }
`,
);

const unicode = 'Grüße, 世界 ✓ — emoji 🚀, RTL שלום, combining é';

describe('tea run --input forms', () => {
  const expected = { text: unicode, seen: true, fromBranch: unicode };
  const check = (stdout: string) => expect(JSON.parse(stdout)).toMatchObject(expected);
  const file = writeIn(dir, 'in.json', JSON.stringify({ text: unicode }));

  it('a file path', async () => check((await runTea(tea, ['run', echo, '--input', file])).stdout));
  it('@path', async () => check((await runTea(tea, ['run', echo, '--input', `@${file}`])).stdout));
  it('a relative path, resolved against the working directory', async () =>
    check((await runTea(tea, ['run', echo, '--input', 'in.json'], { cwd: dir })).stdout));
  it('inline JSON', async () => check((await runTea(tea, ['run', echo, '--input', JSON.stringify({ text: unicode })])).stdout));
  it('stdin', async () => check((await runTea(tea, ['run', echo, '--input', '-'], { stdin: JSON.stringify({ text: unicode }) })).stdout));
});

describe('tea run --output', () => {
  it('round-trips a state over 1 MB, with unicode, through a process branch, exactly', async () => {
    const big = Array.from({ length: 16_000 }, (_, i) => `${i}: ${unicode}`);
    const text = big.join('\n');
    expect(Buffer.byteLength(text)).toBeGreaterThan(1_000_000);
    const input = writeIn(dir, 'big.json', JSON.stringify({ text, list: big.slice(0, 100), nested: { deep: { ok: [1, null, 'ü'] } } }));
    const out = path.join(dir, 'big-out.json');
    const run = await runTea(tea, ['run', echo, '--input', input, '--output', out]);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    const state = JSON.parse(readFileSync(out, 'utf8'));
    expect(state.text).toBe(text);
    expect(state.fromBranch).toBe(text);
    expect(state.list).toEqual(big.slice(0, 100));
    expect(state.nested).toEqual({ deep: { ok: [1, null, 'ü'] } });
    expect(state.branchBytes).toBeGreaterThan(1_000_000);
    // Written through a temp file and a rename: nothing else is left in the directory.
    expect(readdirSync(dir).filter((f) => f.includes('.tmp'))).toEqual([]);
  });
});

describe('tea --version', () => {
  it('prints the package version from the single-file artifact', async () => {
    const { version } = require('../../../package.json') as { version: string };
    expect(await runTea(tea, ['--version'])).toMatchObject({ code: 0, stdout: `${version}\n`, stderr: '' });
  });
});
