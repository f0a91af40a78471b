import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { installTea, runTea, writeIn } from './tea';

jest.setTimeout(60_000);
const { tea, dir } = installTea();

const good = writeIn(
  dir,
  'good.yaml',
  `
nodes:
  - { name: a, run: "return { a: 1 }" }
  - { name: b, run: "return { b: 1 }" }
  - { name: c, run: "return { c: 1 }" }
  - { name: island }
edges:
  - { from: __start__, to: a }
  - { from: a, to: b }
  - { from: b, to: c }
`,
);

/** Runs tea with --output and checks the one-line error, the exit code, and that no output was written. */
async function expectError(args: string[], code: number, message: RegExp | string, stdin?: string) {
  const out = path.join(dir, `out-${Math.random().toString(36).slice(2)}.json`);
  const run = await runTea(tea, [...args, '--output', out], stdin === undefined ? {} : { stdin });
  expect(run.code).toBe(code);
  expect(run.stdout).toBe('');
  expect(run.stderr.endsWith('\n')).toBe(true);
  expect(run.stderr.split('\n')).toHaveLength(2); // one line
  const line = run.stderr.trimEnd();
  if (typeof message === 'string') expect(line).toBe(message);
  else expect(line).toMatch(message);
  expect(existsSync(out)).toBe(false);
}

describe('tea run: scope validation (exit 2, before any node runs)', () => {
  it('names an unknown entry point', () =>
    expectError(['run', good, '--entry-point', 'zz'], 2, 'Error: entry point "zz" is not a node of this workflow (nodes: a, b, c, island)'));
  it('names an unknown exit point', () =>
    expectError(['run', good, '--exit-point', 'qq'], 2, /^Error: exit point "qq" is not a node of this workflow/));
  it('rejects entry == exit', () =>
    expectError(['run', good, '--entry-point', 'b', '--exit-point', 'b'], 2, 'Error: entry point and exit point are both "b"'));
  it('rejects a scope with no path', () =>
    expectError(['run', good, '--entry-point', 'c', '--exit-point', 'a'], 2, 'Error: no path from "c" to "a"'));
  it('rejects an unreachable exit from an island', () =>
    expectError(['run', good, '--entry-point', 'island', '--exit-point', 'c'], 2, 'Error: no path from "island" to "c"'));
});

describe('tea run: bad workflows (exit 2)', () => {
  const cases: [string, string, RegExp][] = [
    ['YAML syntax', 'nodes:\n  - name: a\n   x: [\n', /^Error: .*bad\.yaml: invalid YAML at line \d+, column \d+: /],
    ['a malformed node', 'nodes:\n  - name: a\n  - name: 7\n', /^Error: nodes\[1\]\.name: expected a node name, got number 7$/],
    ['an unknown edge target', 'nodes: [{ name: a }]\nedges:\n  - { from: a, to: b }\n', /^Error: edges\[0\]\.to: unknown node "b"/],
    ['a bad run body', 'nodes:\n  - { name: a, run: "return (" }\n', /^Error: nodes\[0\]\.run: SyntaxError: /],
    ['several problems, on one line', 'nodes: [{ name: a }, { name: a }]\nedges:\n  - { from: x, to: a }\n', /^Error: nodes\[1\]\.name: duplicate.*; edges\[0\]\.from: unknown node "x"/],
    ['bad settings.parallel', 'settings: { parallel: { strategy: gpu } }\nnodes: [{ name: a }]\n', /^Error: settings\.parallel\.strategy: /],
  ];
  it.each(cases)('%s', async (_, text, message) => {
    await expectError(['run', writeIn(dir, 'bad.yaml', text)], 2, message);
  });
  it('a missing workflow file', () => expectError(['run', path.join(dir, 'nope.yaml')], 2, /^Error: cannot read workflow .*nope\.yaml: no such file$/));
});

describe('tea run: bad usage and input (exit 2)', () => {
  it('an unknown option', () => expectError(['run', good, '--bogus'], 2, /^Error: tea run: Unknown option '--bogus'/));
  it('a missing workflow argument', () => expectError(['run'], 2, /^Error: tea run: expected one workflow file, got 0/));
  it('an unknown command', () => expectError(['frobnicate'], 2, /^Error: unknown command "frobnicate"/));
  it('invalid inline JSON', () => expectError(['run', good, '--input', '{"a":'], 2, /^Error: --input inline JSON is not valid JSON: /));
  it('a JSON array', () => expectError(['run', good, '--input', '[1,2]'], 2, 'Error: --input inline JSON must be a JSON object (got an array)'));
  it('a missing input file', () => expectError(['run', good, '--input', '@nope.json'], 2, /^Error: cannot read --input nope\.json: no such file/));
  it('bad stdin', () => expectError(['run', good, '--input', '-'], 2, 'Error: --input stdin must be a JSON object (got a string)', '"text"'));
  it('an output directory that does not exist', async () => {
    const run = await runTea(tea, ['run', good, '--output', path.join(dir, 'no', 'such', 'out.json')]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^Error: --output .*: directory .* does not exist\n$/);
  });
});

describe('tea run: failures (exit 1)', () => {
  it('a failing node, with the stack only under --verbose', async () => {
    const wf = writeIn(dir, 'fails.yaml', 'nodes:\n  - { name: a }\n  - { name: bad, run: "throw new RangeError(\'out of range\')" }\n');
    await expectError(['run', wf], 1, 'Error: node "bad" failed: RangeError: out of range');
    const verbose = await runTea(tea, ['run', wf, '--verbose']);
    expect(verbose.code).toBe(1);
    expect(verbose.stderr).toMatch(/^Error: node "bad" failed: RangeError: out of range$/m);
    expect(verbose.stderr).toMatch(/caused by: RangeError: out of range\n\s+at .*tea-node:bad/);
  });

  it.each(['thread', 'process'])('a failing %s branch, named in the error', async (strategy) => {
    const wf = writeIn(
      dir,
      `branch-fails-${strategy}.yaml`,
      `
settings: { parallel: { strategy: ${strategy} } }
nodes:
  - { name: s }
  - { name: ok, run: "return { ok: true }" }
  - { name: broken, run: "throw new Error('disk on fire')" }
  - { name: j }
edges:
  - { from: s, to: [ok, broken], type: parallel, fan_in: j }
  - { from: ok, to: j }
  - { from: broken, to: j }
`,
    );
    const suffix = strategy === 'process' ? ' (tea run exited with code 1)' : '';
    await expectError(['run', wf], 1, `Error: branch "broken" failed: node "broken" failed: disk on fire${suffix}`);
  });

  it('leaves an existing output file untouched on error', async () => {
    const out = writeIn(dir, 'existing.json', '{"old":true}');
    const run = await runTea(tea, ['run', good, '--entry-point', 'zz', '--output', out]);
    expect(run.code).toBe(2);
    expect(readFileSync(out, 'utf8')).toBe('{"old":true}');
  });
});
