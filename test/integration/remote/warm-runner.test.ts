import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import YAML from 'yaml';
import { parseParallelConfig } from '../../../src/config/parallel';
import { RemoteExecutor } from '../../../src/remote/executor';
import { getHosts, startLocalHosts, type HostsFixture, type LocalHostsFixture } from '../../harness/hosts';
import { capture, flow } from './helpers';

// settings.parallel.remote.runner: warm (src/remote/runner/): every guarantee of a process
// per branch, proven against real OpenSSH sshd (issue 19).

jest.setTimeout(180_000);

let fx: HostsFixture;
beforeAll(async () => {
  fx = await getHosts({ count: 2 });
});
afterAll(async () => {
  await fx?.stop();
});

const tag = `${process.pid}${Date.now() % 100000}`;
/** Sleep durations no other test uses: the processes a branch started, found by their argv. */
const SLEEP_CHILD = `98${tag}1`;
const SLEEP_ESCAPED = `98${tag}2`;
const SLEEP_CRASH = `98${tag}3`;

const WARM_YAML = `
name: warm-runner
initial_state: {}
nodes:
  - name: work
    run: |
      return { doubled: state.n * 2, pid: process.pid };
  - name: pollute
    run: |
      globalThis.__teaLeak = 'leaked';
      Array.prototype.leak = 1;
      process.env.TEA_LEAK = 'leaked';
      require('node:fs').__teaLeak = 'leaked';
      return { polluted: true };
  - name: inspect
    run: |
      return {
        global: typeof globalThis.__teaLeak,
        proto: [].leak === undefined,
        env: process.env.TEA_LEAK ?? null,
        module: typeof require('node:fs').__teaLeak,
        secret: process.env.WARM_SECRET ?? null,
        mark: process.env.TEA_FLOW_MARK ?? null,
        remote: process.env.TEA_REMOTE_BRANCH ?? null,
        runner: process.pid,
        thread: require('node:worker_threads').threadId,
      };
  - name: spawner
    run: |
      const { spawn } = require('node:child_process');
      spawn('sleep', ['${SLEEP_CHILD}'], { stdio: 'ignore' });
      spawn('setsid', ['sleep', '${SLEEP_ESCAPED}'], { stdio: 'ignore', detached: true }).unref();
      await new Promise((r) => setTimeout(r, 600000));
      return {};
  - name: busy
    run: |
      for (;;) {}
  - name: crash
    run: |
      const fs = require('node:fs');
      if (!fs.existsSync(state.flag)) {
        fs.writeFileSync(state.flag, 'crashed once');
        require('node:child_process').spawn('sleep', ['${SLEEP_CRASH}'], { stdio: 'ignore' });
        // A native crash or the OOM killer: the whole runner dies (process.abort() is refused in a worker).
        process.kill(process.pid, 'SIGKILL');
      }
      return { survived: true };
  - name: fail
    run: |
      throw new Error('failed on purpose');
  - name: join
    run: |
      return { n: parallel_results.length };
edges:
  - { from: __start__, to: work }
  - { from: work, to: join }
  - { from: pollute, to: join }
  - { from: inspect, to: join }
  - { from: spawner, to: join }
  - { from: busy, to: join }
  - { from: crash, to: join }
  - { from: fail, to: join }
  - { from: join, to: __end__ }
`;

const config = (remote: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) =>
  parseParallelConfig({ strategy: 'remote', retry: { max_retries: 0 }, ...extra, remote: fx.remoteConfig({ runner: 'warm', warm_standbys: 'auto', ...remote }) });

async function run(flows: ReturnType<typeof flow>[], remote: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) {
  const captured = capture(WARM_YAML);
  const executor = new RemoteExecutor(captured.context);
  try {
    const results = await executor.execute(flows, config(remote, extra));
    return { results, executor, ...captured };
  } finally {
    await executor.close();
  }
}

const pgrep = async (pattern: string) => (await fx.exec(0, `pgrep -af '${pattern}' || true`)).stdout.split('\n').filter(Boolean);
// This fixture's runners only (their basefile is under its workdir): other suites, the bench smoke
// test among them, may run warm runners as the same user meanwhile.
const runners = async () => (await pgrep('[_]_runner')).filter((line) => line.includes(`${String(fx.remoteConfig().workdir)}/`));
const leftovers = async (workdir: string) => (await fx.exec(0, `ls -A ${workdir} 2>/dev/null || true`)).stdout.split('\n').filter((e) => e && e !== '.cache');

async function until(what: () => Promise<boolean>, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await what()) return true;
    await new Promise((r) => setTimeout(r, 200));
  }
  return what();
}

describe('warm runner against real sshd', () => {
  it('runs branches with the same results and errors as processes, one runner per host, nothing left', async () => {
    const flows = Array.from({ length: 10 }, (_, i) => flow('work', { n: i }));
    flows.push(flow('fail', { n: 0 }));
    const { results, executor, logs } = await run(flows);
    results.slice(0, 10).forEach((r, i) => {
      expect([r.success, r.error]).toEqual([true, null]);
      expect(r.state).toMatchObject({ n: i, doubled: i * 2 });
    });
    expect(results[10]).toMatchObject({ success: false, error_type: 'E_REMOTE_EXIT' });
    expect(results[10]!.error).toMatch(/failed on purpose/);
    // One runner process per host, so every branch on a host shares the runner's pid.
    const starts = executor.runnerStarts();
    expect(Object.values(starts).every((n) => n === 1)).toBe(true);
    const pids = new Map<string, Set<number>>();
    for (const r of results.slice(0, 10)) pids.set(r.host!, (pids.get(r.host!) ?? new Set()).add((r.state as { pid: number }).pid));
    for (const set of pids.values()) expect(set.size).toBe(1);
    expect(logs.filter((l) => /run as one process each/.test(l))).toEqual([]);
    expect(await runners()).toEqual([]);
    expect(await leftovers(fx.remoteConfig().workdir as string)).toEqual([]);
  });

  it('isolates branches: globals, prototypes, module cache and process.env of one are not seen by the next', async () => {
    const host = [fx.hosts[0]!.sshlogin];
    const flows = [flow('pollute'), flow('inspect'), flow('pollute'), flow('inspect')];
    // One slot: the branches run one after another on the same runner.
    const { results, executor } = await run(flows, { hosts: [`1/${host[0]!}`] });
    expect(results.map((r) => r.success)).toEqual([true, true, true, true]);
    for (const r of [results[1]!, results[3]!]) {
      expect(r.state).toMatchObject({ global: 'undefined', proto: true, env: null, module: 'undefined' });
    }
    // Every branch ran on a standby worker (started, program evaluated, before the branch came),
    // the standbys of one runner process, and no standby served two branches.
    expect(Object.values(executor.runnerStandbyRuns())).toEqual([4]);
    const inspected = [results[1]!, results[3]!].map((r) => r.state as { runner: number; thread: number });
    expect(inspected[0]!.runner).toBe(inspected[1]!.runner);
    expect(inspected[0]!.thread).not.toBe(inspected[1]!.thread);
  });

  it('warm_standbys: off starts each worker when its branch arrives (no standby), with the same results', async () => {
    const flows = Array.from({ length: 4 }, (_, i) => flow('work', { n: i }));
    const { results, executor } = await run(flows, { hosts: [`1/${fx.hosts[0]!.sshlogin}`], warm_standbys: 'off' });
    results.forEach((r, i) => expect(r.state).toMatchObject({ doubled: i * 2 }));
    expect(Object.values(executor.runnerStandbyRuns())).toEqual([0]);
    expect(await runners()).toEqual([]);
  });

  it('standbys are not shared: branches that ran on standbys of one runner each had their own worker and environment', async () => {
    process.env.WARM_SECRET = 'standby secret';
    try {
      // Two slots, eight branches: the later ones find standbys started while the first ones ran.
      const flows = Array.from({ length: 8 }, (_, i) => (i % 2 === 0 ? flow('pollute') : flow('inspect')));
      const { results, executor } = await run(flows, { hosts: [`2/${fx.hosts[0]!.sshlogin}`], env_vars: { include: ['WARM_SECRET'] } });
      expect(results.map((r) => r.success)).toEqual(flows.map(() => true));
      const inspected = results.filter((_, i) => i % 2 === 1).map((r) => r.state as Record<string, unknown>);
      for (const s of inspected) expect(s).toMatchObject({ global: 'undefined', proto: true, env: null, module: 'undefined', secret: 'standby secret', remote: '1' });
      // Each branch its own mark (set when the standby got its branch, not when it started).
      expect(new Set(inspected.map((s) => s.mark)).size).toBe(inspected.length);
      expect(new Set(inspected.map((s) => s.thread)).size).toBe(inspected.length);
      expect(new Set(inspected.map((s) => s.runner)).size).toBe(1);
      expect(Object.values(executor.runnerStandbyRuns())[0]).toBe(8);
      expect(await runners()).toEqual([]);
    } finally {
      delete process.env.WARM_SECRET;
    }
  });

  it('a cancel while standbys exist ends the branch, its processes and the standbys, and leaves nothing', async () => {
    const captured = capture(WARM_YAML);
    const executor = new RemoteExecutor(captured.context);
    const controller = new AbortController();
    const workdir = fx.remoteConfig().workdir as string;
    // One slot: work runs, then spawner (on the standby started meanwhile), while the third waits with one standby kept for it.
    const flows = [flow('work', { n: 1 }), flow('spawner'), flow('work', { n: 2 })];
    let results;
    try {
      const running = executor.execute(flows, config({ hosts: [`1/${fx.hosts[0]!.sshlogin}`], kill_grace_seconds: 2 }), controller.signal);
      const started = await until(async () => (await pgrep(`[s]leep ${SLEEP_CHILD}`)).length > 0 && (await pgrep(`[s]leep ${SLEEP_ESCAPED}`)).length > 0, 60_000);
      expect(started).toBe(true);
      expect(captured.logs.filter((l) => /ran on a standby worker; 1 standby worker\(s\) kept/.test(l))).toHaveLength(1);
      controller.abort();
      results = await running;
    } finally {
      await executor.close();
    }
    expect(results.map((r) => r.success)).toEqual([true, false, false]);
    expect(results.slice(1).map((r) => r.error_type)).toEqual(['E_CANCELLED', 'E_CANCELLED']);
    expect(await until(async () => (await pgrep(`[s]leep 98${tag}`)).length === 0, 15_000)).toBe(true);
    expect(await runners()).toEqual([]);
    expect(await leftovers(workdir)).toEqual([]);
  });

  it('a timeout ends the branch (a synchronous loop too) and every process it started, and not the other branches', async () => {
    const started = Date.now();
    const { results, executor } = await run([flow('spawner'), flow('busy'), flow('work', { n: 3 })], { hosts: [fx.hosts[0]!.sshlogin], kill_grace_seconds: 2 }, { timeout_seconds: 3 });
    expect(results.map((r) => r.success)).toEqual([false, false, true]);
    expect(results[0]!.error_type).toBe('E_TIMEOUT');
    expect(results[1]!.error_type).toBe('E_TIMEOUT');
    expect(results[2]!.state).toMatchObject({ doubled: 6 });
    expect(Date.now() - started).toBeLessThan(60_000);
    // The same runner ran them all: the timeouts did not end it.
    expect(Object.values(executor.runnerStarts())).toEqual([1]);
    expect(await until(async () => (await pgrep(`[s]leep 98${tag}`)).length === 0, 15_000)).toBe(true);
    expect(await runners()).toEqual([]);
  });

  it('a branch that crashes the runner (killed: a native crash, the OOM killer) fails only as a transport failure: retried on a new runner', async () => {
    const flag = `/tmp/tea-warm-crash-${tag}`;
    await fx.exec(0, `rm -f ${flag}`);
    const { results, executor } = await run(
      [flow('crash', { flag }), flow('work', { n: 5 })],
      { hosts: [`1/${fx.hosts[0]!.sshlogin}`] },
      { retry: { max_retries: 2, base_delay: 0, jitter: 0 }, circuit_breaker: { failure_threshold: 10 } },
    );
    await fx.exec(0, `rm -f ${flag}`);
    expect([results.map((r) => r.success), results[0]!.error]).toEqual([[true, true], null]);
    expect(results[0]!.state).toMatchObject({ survived: true });
    expect(results[0]!.attempts?.length).toBe(2);
    expect(results[0]!.attempts?.[0]).toMatchObject({ error_code: 'E_CONNECTION_LOST' });
    expect(Object.values(executor.runnerStarts())).toEqual([2]);
    // The crashed branch's child (its mark) is ended by the next runner on the host.
    expect(await until(async () => (await pgrep(`[s]leep ${SLEEP_CRASH}`)).length === 0, 15_000)).toBe(true);
  });

  it('the runner ends with its channel when the client is killed (kill -9), leaving no process and no file', async () => {
    // One slot: work runs first, then spawner on a standby while inspect waits, with one standby kept for it.
    const remote = fx.remoteConfig({ runner: 'warm', warm_standbys: 'auto', hosts: [`1/${fx.hosts[0]!.sshlogin}`], kill_grace_seconds: 2 });
    const workflow = YAML.parse(WARM_YAML);
    workflow.settings = { parallel: { strategy: 'remote', remote } };
    workflow.nodes.unshift({ name: 'start', run: 'return {};' });
    workflow.edges = [
      { from: '__start__', to: 'start' },
      { from: 'start', to: ['work', 'spawner', 'inspect'], type: 'parallel', fan_in: 'join' },
      ...workflow.edges.filter((e: { from: string }) => e.from !== '__start__'),
    ];
    const dir = mkdtempSync(join(tmpdir(), 'tea-warm-'));
    const file = join(dir, 'wf.yaml');
    writeFileSync(file, YAML.stringify(workflow));
    const child = spawn(process.execPath, [resolve(__dirname, '../../../dist/tea'), 'run', '--verbose', file], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const running = await until(async () => (await pgrep(`[s]leep ${SLEEP_CHILD}`)).length > 0 && (await pgrep(`[s]leep ${SLEEP_ESCAPED}`)).length > 0, 60_000);
    expect([running, stderr]).toEqual([true, stderr]);
    expect((await runners()).length).toBe(1);
    // The standby kept for the waiting branch exists in the runner when the client dies.
    expect(stderr).toMatch(/ran on a standby worker; 1 standby worker\(s\) kept/);
    const exited = new Promise((r) => child.on('exit', r));
    child.kill('SIGKILL');
    await exited;
    expect(await until(async () => (await pgrep(`[s]leep 98${tag}`)).length === 0 && (await runners()).length === 0, 20_000)).toBe(true);
    // The flow directories go with the runner; the run directory stays (no client left to remove it: SEC's next-run cleanup).
    const runDirs = (await leftovers(remote.workdir as string)).filter((e) => e.startsWith('run-'));
    for (const runDir of runDirs) {
      const inside = (await fx.exec(0, `ls -A ${remote.workdir}/${runDir}`)).stdout.split('\n').filter(Boolean);
      expect(inside.filter((e) => e !== 'workflow.yaml' && !e.startsWith('.'))).toEqual([]);
      await fx.exec(0, `rm -rf ${remote.workdir}/${runDir}`);
    }
  });

  it('runner memory does not grow across branches', async () => {
    const flows = Array.from({ length: 150 }, (_, i) => flow('work', { n: i }));
    const captured = capture(WARM_YAML);
    const executor = new RemoteExecutor(captured.context);
    try {
      const first = await executor.execute(flows.slice(0, 30), config({ hosts: [fx.hosts[0]!.sshlogin] }));
      expect(first.every((r) => r.success)).toBe(true);
      const early = Object.values(executor.runnerPeakRss())[0]!;
      const rest = await executor.execute(flows.slice(30), config({ hosts: [fx.hosts[0]!.sshlogin] }));
      expect(rest.every((r) => r.success)).toBe(true);
      const late = Object.values(executor.runnerPeakRss())[0]!;
      expect(Object.values(executor.runnerStarts())).toEqual([1]);
      // Workers are thrown away with their isolates: 120 more branches add no more than noise.
      expect(late).toBeLessThan(early * 1.5);
    } finally {
      await executor.close();
    }
  });
});

describe('warm runner on awkward hosts', () => {
  let odd: LocalHostsFixture;
  beforeAll(async () => {
    // Host 0: OpenSSH with MaxSessions 1 (the runner's channel is the only one); host 1: Dropbear.
    // Both log in through fish, whose rc file prints on stdout before the runner's ready line.
    odd = await startLocalHosts({ count: 2, maxSessions: [1, undefined], server: [undefined, 'dropbear'], loginShell: 'fish', rcOutput: 'Welcome to the host\n' });
  });
  afterAll(async () => {
    await odd?.stop();
  });

  it('runs warm on MaxSessions 1 and on Dropbear, through a login shell that prints, and leaves nothing', async () => {
    const captured = capture(WARM_YAML);
    const executor = new RemoteExecutor(captured.context);
    const flows = Array.from({ length: 6 }, (_, i) => flow('work', { n: i }));
    let results;
    try {
      results = await executor.execute(flows, parseParallelConfig({ strategy: 'remote', retry: { max_retries: 0 }, remote: odd.remoteConfig({ runner: 'warm' }) }));
    } finally {
      await executor.close();
    }
    expect(results.map((r) => [r.success, r.error])).toEqual(flows.map(() => [true, null]));
    results.forEach((r, i) => expect(r.state).toMatchObject({ doubled: i * 2 }));
    expect(new Set(results.map((r) => r.host)).size).toBe(2);
    // Warm on both hosts: one runner each, no fallback to processes.
    expect(Object.values(executor.runnerStarts())).toEqual([1, 1]);
    expect(captured.logs.filter((l) => /run as one process each/.test(l))).toEqual([]);
    for (let i = 0; i < 2; i += 1) {
      const { stdout } = await odd.exec(i, `ls -A ${odd.remoteConfig().workdir} 2>/dev/null || true`);
      expect(stdout.split('\n').filter((e) => e && e !== '.cache' && !e.startsWith('Welcome'))).toEqual([]);
    }
  });
});
