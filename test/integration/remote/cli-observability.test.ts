import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getHosts, type HostsFixture } from '../../harness/hosts';
import { JOBLOG_COLUMNS } from '../../../src/cli/joblog';
import { expectExampleResult, runExampleOnHosts } from './cli-scenario';

// tea run --joblog / --json / --dry-run and the plain (non-TTY) progress lines, over real sshd hosts.
jest.setTimeout(180_000);

let fx: HostsFixture;
beforeAll(async () => {
  fx = await getHosts({ count: 2 });
});
afterAll(async () => {
  await fx?.stop();
});

const tmp = () => mkdtempSync(join(tmpdir(), 'tea-obs-'));
const readJoblog = (file: string) =>
  readFileSync(file, 'utf8')
    .trimEnd()
    .split('\n')
    .map((line) => line.split('\t'));
const logins = () => fx.hosts.map((_, i) => fx.countConnections(i));

it('--joblog writes a header and one row per attempt; --json prints the summary; progress lines go to stderr', () => {
  const joblog = join(tmp(), 'jobs.tsv');
  const run = runExampleOnHosts(fx, {}, ['--joblog', joblog, '--json']);
  expectExampleResult(fx, run);

  const [header, ...rows] = readJoblog(joblog);
  expect(header).toEqual([...JOBLOG_COLUMNS]);
  expect(rows).toHaveLength(3);
  const col = (row: string[], name: (typeof JOBLOG_COLUMNS)[number]) => row[JOBLOG_COLUMNS.indexOf(name)]!;
  expect(rows.map((r) => col(r, 'Seq'))).toEqual(['1', '2', '3']);
  expect(rows.map((r) => col(r, 'Branch')).sort()).toEqual(['count_letters', 'reverse', 'shout']);
  for (const row of rows) {
    expect(fx.hosts.map((h) => h.sshlogin)).toContain(col(row, 'Host'));
    expect(col(row, 'Starttime')).toMatch(/^\d{10}\.\d{3}$/);
    expect(col(row, 'JobRuntime')).toMatch(/^\d+\.\d{3}$/);
    expect([col(row, 'Exitval'), col(row, 'Signal'), col(row, 'ErrorCode'), col(row, 'Attempt')]).toEqual(['0', '0', '', '1']);
    expect([col(row, 'FanOut'), col(row, 'Strategy')]).toEqual(['prepare', 'remote']);
  }

  const summary = JSON.parse(run.stdout);
  expect(summary).toMatchObject({
    status: 'succeeded',
    exit_code: 0,
    output: expect.stringMatching(/out\.json$/),
    fanouts: [{ node: 'prepare', fan_in: 'combine', branches: 3, succeeded: 3, failed: 0, retries: 0 }],
  });
  expect(typeof summary.duration_ms).toBe('number');
  const hosts = summary.hosts as Record<string, { attempts: number; ok: number; failed: number }>;
  expect(Object.keys(hosts).every((h) => fx.hosts.some((x) => x.sshlogin === h))).toBe(true);
  expect(Object.values(hosts).reduce((n, h) => n + h.ok, 0)).toBe(3);

  // stderr is a pipe here: plain progress lines, one when the fan-out starts and one when it ends.
  expect(run.stderr).toMatch(/^tea: progress: fan-out "prepare": 3 remote branches$/m);
  expect(run.stderr).toMatch(/^tea: progress: fan-out "prepare" ended in [\d.]+s: 3\/3 done, 0 failed, 0 retrying, 0 running$/m);
});

it('--joblog records every attempt of a retried branch with its exit value and error code; --json counts retries', () => {
  const joblog = join(tmp(), 'jobs.tsv');
  const run = runExampleOnHosts(fx, {}, ['--joblog', joblog, '--json'], (doc) => {
    doc.setIn(['settings', 'parallel', 'retry'], doc.createNode({ max_retries: 1, retry_on_failure: true, base_delay: 0 }));
    doc.setIn(['settings', 'parallel', 'collect_failures'], true);
    doc.setIn(['nodes', 2, 'run'], "throw new Error('shout failed on purpose');\n");
    doc.setIn(['nodes', 4, 'run'], 'return { summary: parallel_results.map((r) => ({ branch: r.branch, ok: r.success })) };\n');
  });
  expect([run.status, run.stderr]).toEqual([0, expect.any(String)]);
  const [, ...rows] = readJoblog(joblog);
  const shout = rows.filter((r) => r[JOBLOG_COLUMNS.indexOf('Branch')] === 'shout');
  expect(shout.map((r) => [r[JOBLOG_COLUMNS.indexOf('Attempt')], r[JOBLOG_COLUMNS.indexOf('Exitval')], r[JOBLOG_COLUMNS.indexOf('ErrorCode')]])).toEqual([
    ['1', '1', 'E_REMOTE_EXIT'],
    ['2', '1', 'E_REMOTE_EXIT'],
  ]);
  expect(rows).toHaveLength(4);
  expect(JSON.parse(run.stdout)).toMatchObject({
    status: 'succeeded',
    fanouts: [{ branches: 3, succeeded: 2, failed: 1, retries: 1 }],
  });
  expect(run.stderr).toMatch(/^tea: progress: fan-out "prepare" ended in [\d.]+s: 3\/3 done, 1 failed, 0 retrying, 0 running$/m);
});

it('--json on a failed run prints the summary with the error, exit 1', () => {
  const run = runExampleOnHosts(fx, {}, ['--json'], (doc) => {
    doc.setIn(['settings', 'parallel', 'retry'], doc.createNode({ max_retries: 0 }));
    doc.setIn(['nodes', 3, 'run'], "throw new Error('reverse failed on purpose');\n");
  });
  expect(run.status).toBe(1);
  expect(JSON.parse(run.stdout)).toMatchObject({
    status: 'failed',
    exit_code: 1,
    output: null,
    fanouts: [{ branches: 3, succeeded: 2, failed: 1 }],
    error: { code: 'E_BRANCH_FAILED', branch: 'reverse' },
  });
  expect(run.stderr).toMatch(/^Error: branch "reverse" on \S+: node "reverse" failed: reverse failed on purpose \(tea run exited with code 1\)$/m);
});

it('--dry-run resolves hosts and the basefile, prints the plan and connects to nothing', () => {
  const before = logins();
  const text = runExampleOnHosts(fx, {}, ['--dry-run']);
  expect(text.state).toBeNull(); // --output is checked, not written
  expect(logins()).toEqual(before);
  expect(text.status).toBe(0);
  expect(text.stdout).toMatch(/^fan-out "prepare" -> fan-in "combine": 3 branches$/m);
  expect(text.stdout).toMatch(/^ {2}shout\tremote$/m);
  for (const h of fx.hosts) expect(text.stdout).toContain(h.sshlogin);
  expect(text.stdout).toMatch(/basefile .*dist\/tea \(\d+ bytes, sha256 [0-9a-f]{12}\) -> \S+\/\.cache\/tea-[0-9a-f]{16} /);
  expect(text.stdout).toContain('no connection was opened');
  expect(text.stdout).toMatch(/^ {2}transfer: auto: SFTP on hosts whose preflight finds it usable beside exec, else files over exec channels/m);

  const json = runExampleOnHosts(fx, {}, ['--dry-run', '--json']);
  expect(logins()).toEqual(before);
  const plan = JSON.parse(json.stdout);
  expect(plan).toMatchObject({
    scope: { entry: '__start__', exit: '__end__' },
    fanouts: [{ node: 'prepare', fan_in: 'combine', branches: [{ branch: 'count_letters', strategy: 'remote' }, { branch: 'shout' }, { branch: 'reverse' }] }],
    remote: { dispatch: 'dynamic', upload: { basefiles: expect.arrayContaining([expect.objectContaining({ sha256: expect.stringMatching(/^[0-9a-f]{64}$/) })]) } },
  });
  expect(plan.remote.hosts.map((h: { id: string }) => h.id).sort()).toEqual(fx.hosts.map((h) => h.sshlogin).sort());
});
