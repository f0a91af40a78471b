import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { codeCachesBeside } from '../../../src/util/code-cache';
import { installTea, runTea, writeIn } from './tea';

// dist/tea runs its bundled program through a V8 code cache kept beside it
// (src/util/code-cache.ts): proven here on the built artifact, across processes.

jest.setTimeout(60_000);

const WORKFLOW = 'nodes:\n  - { name: a, run: "return { out: state.n * 2 }" }\n';
/** The one code cache beside `tea`, if any (its name holds the build's program hash). */
function cacheOf(tea: string): string {
  const found = codeCachesBeside(tea, process.version, process.arch);
  if (found.length > 1) throw new Error(`more than one code cache beside ${tea}: ${found.join(', ')}`);
  return found[0] ?? path.join(path.dirname(tea), 'none.v8cache');
}

async function runOnce(tea: string, dir: string, env: NodeJS.ProcessEnv = process.env) {
  const wf = writeIn(dir, 'wf.yaml', WORKFLOW);
  const out = path.join(dir, 'out.json');
  const run = await runTea(tea, ['run', wf, '--input', '{"n":21}', '--output', out], { env });
  expect(run).toMatchObject({ code: 0, stderr: '' });
  return JSON.parse(readFileSync(out, 'utf8')) as Record<string, unknown>;
}

describe('the code cache of dist/tea', () => {
  it('is written by the first run, private, and taken as it is by the next runs', async () => {
    const { tea, dir } = installTea();
    expect(await runTea(tea, ['--version'])).toMatchObject({ code: 0 });
    expect(existsSync(cacheOf(tea))).toBe(false); // only a run writes it

    expect(await runOnce(tea, dir)).toEqual({ n: 21, out: 42 });
    const written = statSync(cacheOf(tea));
    expect(written.mode & 0o777).toBe(0o600);
    expect(written.size).toBeGreaterThan(100_000);

    // Taken, not refused: a refused cache would be replaced (a new file, another inode).
    expect(await runOnce(tea, dir)).toEqual({ n: 21, out: 42 });
    expect(statSync(cacheOf(tea)).ino).toBe(written.ino);
    expect(readdirSync(dir).filter((f) => f.startsWith('tea.'))).toEqual([path.basename(cacheOf(tea))]);
  });

  it('is replaced when V8 refuses it, and the run is not affected', async () => {
    const { tea, dir } = installTea();
    await runOnce(tea, dir);
    const cache = cacheOf(tea);
    writeFileSync(cache, 'garbage, or a cache from another build');
    expect(await runOnce(tea, dir)).toEqual({ n: 21, out: 42 });
    expect(cacheOf(tea)).toBe(cache);
    expect(statSync(cache).size).toBeGreaterThan(100_000);
  });

  it('is neither read nor written with TEA_CODE_CACHE=0', async () => {
    const { tea, dir } = installTea();
    expect(await runOnce(tea, dir, { ...process.env, TEA_CODE_CACHE: '0' })).toEqual({ n: 21, out: 42 });
    expect(existsSync(cacheOf(tea))).toBe(false);
  });
});
