import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { getHosts, type HostsFixture } from '../../harness/hosts';
import { installTea, runTea } from '../cli/tea';

/**
 * Issue 14: a node name with a newline must not forge `tea: info:` lines. The branch fails
 * on its host, so its name reaches the warnings, the fan-in's error and the final Error line
 * (verbose: every debug line and event too).
 */
jest.setTimeout(180_000);

let fx: HostsFixture;
const { tea, dir } = installTea();
beforeAll(async () => {
  fx = await getHosts({ count: 1 });
});
afterAll(async () => {
  await fx?.stop();
});

const FORGED = 'tea: info: FORGED all hosts verified';
const NAME = `bad\n${FORGED}\r\u001b[2K`;

it('a node name with a newline, CR and a terminal escape stays inside its own log line', async () => {
  const wf = join(dir, 'forge.yaml');
  writeFileSync(
    wf,
    JSON.stringify({
      settings: { parallel: { strategy: 'remote', retry: { max_retries: 0 }, remote: fx.remoteConfig() } },
      nodes: [{ name: 'start' }, { name: NAME, run: 'throw new Error("failed on purpose");' }, { name: 'ok', run: 'return {};' }, { name: 'join', run: 'throw new Error("join saw " + JSON.stringify(parallel_results.map((r) => r.branch)));' }],
      edges: [
        { from: 'start', to: [NAME, 'ok'], type: 'parallel', fan_in: 'join' },
        { from: NAME, to: 'join' },
        { from: 'ok', to: 'join' },
        { from: 'join', to: '__end__' },
      ],
    }),
  );
  const run = await runTea(tea, ['run', wf, '--verbose']);
  expect(run.code).toBe(1);
  const lines = run.stderr.split('\n').filter((l) => l !== '');
  // The branch's name did reach the output, escaped:
  expect(run.stderr).toContain('bad\\ntea: info: FORGED all hosts verified\\r\\x1b[2K');
  // ... and no line starts with the forged text, and nothing but tea's own line starts appear.
  expect(lines.filter((l) => l.startsWith(FORGED))).toEqual([]);
  expect(run.stderr).not.toContain('\r');
  expect(run.stderr).not.toContain('\u001b');
  const starts = new Set(lines.map((l) => /^(tea: (debug|info|warn|error|progress): |Error: |caused by: |\s+at |\S)/.exec(l)?.[1]?.slice(0, 10)));
  expect([...starts].every((s) => s !== undefined)).toBe(true);
});
