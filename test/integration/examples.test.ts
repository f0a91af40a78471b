import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import YAML from 'yaml';
import { getHosts, type HostsFixture } from '../harness/hosts';
import { JOBLOG_COLUMNS } from '../../src/cli/joblog';

// Every examples/*.yaml is run here with the built dist/tea, its remote hosts replaced by the
// fixture's real sshd hosts (everything else as written), so the examples cannot rot.
jest.setTimeout(180_000);

const ROOT = resolve(__dirname, '../..');
let fx: HostsFixture;
beforeAll(async () => {
  fx = await getHosts({ count: 2 });
});
afterAll(async () => {
  await fx?.stop();
});

interface ExampleRun {
  status: number | null;
  stderr: string;
  stdout: string;
  state: Record<string, unknown> | null;
  joblog: string[][];
}

function runExample(name: string, env: Record<string, string> = {}): ExampleRun {
  const dir = mkdtempSync(join(tmpdir(), 'tea-example-'));
  const doc = YAML.parseDocument(readFileSync(join(ROOT, 'examples', name), 'utf8'));
  const written = doc.getIn(['settings', 'parallel', 'remote']) as YAML.YAMLMap | undefined;
  const own = (written?.toJSON() ?? {}) as Record<string, unknown>;
  const { hosts: _hosts, workdir: _workdir, ...keep } = own; // keep the example's own settings (env_vars, timeouts, ...)
  doc.setIn(['settings', 'parallel', 'remote'], doc.createNode(fx.remoteConfig(keep)));
  const workflow = join(dir, name);
  writeFileSync(workflow, String(doc));
  const output = join(dir, 'out.json');
  const joblog = join(dir, 'jobs.tsv');
  const run = spawnSync(process.execPath, [join(ROOT, 'dist/tea'), 'run', workflow, '--output', output, '--joblog', joblog], {
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, ...env },
  });
  let state: Record<string, unknown> | null = null;
  try {
    state = JSON.parse(readFileSync(output, 'utf8'));
  } catch {
    state = null;
  }
  const rows = readFileSync(joblog, 'utf8').trimEnd().split('\n').map((l) => l.split('\t'));
  return { status: run.status, stderr: run.stderr, stdout: run.stdout, state, joblog: rows };
}

const col = (row: string[], name: (typeof JOBLOG_COLUMNS)[number]) => row[JOBLOG_COLUMNS.indexOf(name)]!;

it('every example is covered by this file', () => {
  const source = readFileSync(__filename, 'utf8');
  for (const file of readdirSync(join(ROOT, 'examples')).filter((f) => f.endsWith('.yaml'))) {
    expect({ file, tested: source.includes(`'${file}'`) || file === 'remote-fanout.yaml' }).toEqual({ file, tested: true });
  }
  // remote-fanout.yaml is run by test/integration/remote/cli-fanout.test.ts (and `npm run demo`).
  expect(readFileSync(join(ROOT, 'test/integration/remote/cli-scenario.ts'), 'utf8')).toContain("'examples/remote-fanout.yaml'");
});

it("strategies.yaml: one fan-out's branches run in a thread, a child process and on a host", () => {
  const run = runExample('strategies.yaml');
  expect([run.status, run.stderr]).toEqual([0, expect.any(String)]);
  expect(run.state).toMatchObject({ sum: 31, sorted: [1, 1, 2, 3, 4, 5, 6, 9], max: 9 });
  const pids = run.state!.pids as Record<string, number>;
  expect(pids.thread).toBe(pids.tea);
  expect(pids.process).not.toBe(pids.tea);
  expect(pids.remote).not.toBe(pids.tea);
  const ran = run.state!.ran as Array<{ branch: string; host: string }>;
  expect(fx.hosts.map((h) => h.sshlogin)).toContain(ran.find((r) => r.branch === 'max_on_host')!.host);
  expect(run.joblog.slice(1).map((r) => [col(r, 'Branch'), col(r, 'Strategy')]).sort()).toEqual([
    ['max_on_host', 'remote'],
    ['sort_in_process', 'process'],
    ['sum_in_thread', 'thread'],
  ]);
});

it('multi-host-retries.yaml: the flaky branch fails once on each host it tries first, is retried and the run succeeds', () => {
  const run = runExample('multi-host-retries.yaml');
  expect([run.status, run.stderr]).toEqual([0, expect.any(String)]);
  const results = run.state!.results as Array<{ branch: string; ok: boolean; retries: number }>;
  expect(results.map((r) => [r.branch, r.ok])).toEqual([
    ['shard_a', true],
    ['shard_b', true],
    ['flaky', true],
  ]);
  // Its marker is in the host's own run directory (run-<id>-<host>): a retry on a host where
  // it has not failed yet fails again, one on a host where it has succeeds. With 3 hosts
  // that is 1 to 3 retries, within max_retries: 3.
  const flaky = run.joblog.filter((r) => col(r, 'Branch') === 'flaky');
  const retries = results.find((r) => r.branch === 'flaky')!.retries;
  expect(retries).toBeGreaterThanOrEqual(1);
  expect(retries).toBeLessThanOrEqual(3);
  expect(flaky.map((r) => col(r, 'Attempt'))).toEqual(flaky.map((_, i) => String(i + 1)));
  expect(flaky).toHaveLength(retries + 1);
  const failed = flaky.slice(0, -1);
  const last = flaky.at(-1)!;
  expect(failed.map((r) => col(r, 'ErrorCode'))).toEqual(failed.map(() => 'E_REMOTE_EXIT'));
  expect(new Set(failed.map((r) => col(r, 'Host'))).size).toBe(failed.length); // never twice on one host
  expect(col(last, 'ErrorCode')).toBe('');
  expect(failed.map((r) => col(r, 'Host'))).toContain(col(last, 'Host')); // succeeds where it left its marker
  expect(run.stderr).toMatch(/branch "flaky" attempt 1 on \S+ failed \(E_REMOTE_EXIT\): retrying/);
});

it('env-vars.yaml: listed variables reach the branches, excluded ones do not, values stay out of the output', () => {
  const token = `tok-${Date.now()}-'$(x)`;
  const run = runExample('env-vars.yaml', { DEPLOY_REGION: 'eu-west', DEPLOY_TOKEN: token, DEPLOY_DEBUG_TOKEN: 'never-sent' });
  expect([run.status, run.stderr]).toEqual([0, expect.any(String)]);
  const expected = { region: 'eu-west', has_token: true, debug_sent: false };
  expect(run.state).toMatchObject({ web: expected, api: expected });
  expect(run.stderr + run.stdout + JSON.stringify(run.state)).not.toContain(token);
});
