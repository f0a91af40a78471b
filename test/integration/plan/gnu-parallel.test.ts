import { existsSync, readdirSync, rmSync } from 'node:fs';
import { detectGnuParallel } from '../../../src/plan/detect';
import { getHosts, type HostsFixture } from '../../harness/hosts';
import { freePort } from '../../harness/sshd-core';
import { parseParallelConfig } from '../../../src/config/parallel';
import { RemoteStrategyExecutor } from '../../../src/executors/remote';
import { capture } from '../remote/helpers';
import { SENTINEL, TRICKY, TRICKY_YAML, awkwardKeyPaths, comparable, runRemote } from './helpers';

// Every GNU Parallel job costs several OpenSSH logins (mkdir, rsync in, the job, rsync
// back, cleanup); on a loaded 2-core machine that is seconds per job.
jest.setTimeout(600_000);

let fx: HostsFixture;
let keys: ReturnType<typeof awkwardKeyPaths>;
beforeAll(async () => {
  const found = await detectGnuParallel();
  // These tests exist to run the real program: without it they must fail, not skip.
  if (!found.found) throw new Error(`GNU Parallel is required for test/integration/plan: ${found.reason} (apt-get install parallel rsync)`);
  fx = await getHosts({ count: 2 });
  keys = awkwardKeyPaths(fx);
});
afterAll(async () => {
  await fx?.stop();
  if (keys !== undefined) rmSync(keys.dir, { recursive: true, force: true });
  rmSync(SENTINEL, { force: true });
});

const flow = (entryPoint: string, state: Record<string, unknown> = {}) => ({ entryPoint, exitPoint: 'join', state });
const ls = async (i: number, dir: string) => (await fx.exec(i, `ls -A '${dir}' 2>/dev/null`)).stdout.split('\n').filter(Boolean);

/** GNU Parallel over both hosts with 2 slots each, keys and known_hosts at paths with spaces and a comma. */
const gnu = (extra: Record<string, unknown> = {}) => ({
  gnu_parallel: 'run',
  hosts: fx.hosts.map((h) => `2/${h.sshlogin}`),
  identity_file: keys.identity,
  known_hosts: keys.knownHosts,
  workdir: `${fx.remoteConfig().workdir as string}/gnu-parallel`,
  ...extra,
});

describe('GNU Parallel plan, run for real against sshd hosts', () => {
  it('detects the installed GNU Parallel', async () => {
    await expect(detectGnuParallel()).resolves.toEqual({ found: true, command: 'parallel', version: expect.stringMatching(/^\d{8}$/) });
  });

  it('runs a fan-out with hostile branch names to the same results as the ssh2 path', async () => {
    const flows = [...TRICKY.map((name, i) => flow(name, { n: i + 1 })), flow('fail', { n: 9 })];
    const viaParallel = await runRemote(fx, flows, gnu());
    const viaSsh2 = await runRemote(fx, flows, {});

    expect(viaParallel.events.find((e) => e.type === 'method')).toEqual({ type: 'method', method: 'gnu-parallel', reason: expect.stringContaining('GNU Parallel') });
    expect(viaSsh2.events.find((e) => e.type === 'method')).toMatchObject({ method: 'ssh2' });
    expect(viaParallel.results.map(comparable)).toEqual(viaSsh2.results.map(comparable));

    // Names reach the remote `tea run` intact: each branch ran its own node.
    const byName = new Map(viaParallel.results.map((r) => [r.branch, r]));
    for (const [i, name] of TRICKY.entries()) {
      if (name.startsWith('-')) continue; // see below
      expect(byName.get(name)).toMatchObject({ success: true, state: { n: i + 1, who: name, doubled: (i + 1) * 2, nodeEnv: '1' } });
    }
    // Passed as --entry-point=<name>, a branch named like an option is still a value, on both paths alike.
    expect(byName.get('-starts-with-dash')).toMatchObject({ success: true, error_type: null });
    expect(existsSync(SENTINEL)).toBe(false);

    const failed = byName.get('fail')!;
    expect(failed).toMatchObject({ success: false, error_type: 'E_REMOTE_EXIT', exit_code: 1, retry_count: 0 });
    expect(failed.stderr_tail).toContain('branch failed on purpose: 9');
    expect(failed.stderr_tail).not.toMatch(/rsync/);
    expect(failed.error).toContain('branch failed on purpose: 9');
    expect(fx.hosts.map((h) => h.sshlogin)).toEqual(expect.arrayContaining([...new Set(viaParallel.results.map((r) => r.host))]));
    expect(viaParallel.events.filter((e) => e.type === 'flow:finished')).toHaveLength(flows.length);

    // --cleanup plus the sweep leave nothing of the run on the hosts.
    for (let i = 0; i < fx.hosts.length; i += 1) expect(await ls(i, gnu().workdir)).toEqual([]);
  });

  it('times a branch out, ends its remote process, and reports E_TIMEOUT like the ssh2 path', async () => {
    const pidFile = `${fx.remoteConfig().workdir as string}-slow.pid`;
    const extra = { timeout_seconds: 20 };
    const viaParallel = await runRemote(fx, [flow('slow', { pidFile })], gnu({ hosts: [fx.hosts[0]!.sshlogin], kill_grace_seconds: 1 }), extra);
    expect(viaParallel.results[0]).toMatchObject({ success: false, error_type: 'E_TIMEOUT', timeout: true, exit_code: null });
    expect(viaParallel.results[0]!.error).toContain('timed out after 20s');
    const pid = (await fx.exec(0, `cat '${pidFile}'`)).stdout.trim();
    expect(pid).toMatch(/^\d+$/);
    // GNU Parallel's remote wrapper TERMs the job when its ssh goes away (termseq TERM, 1 s, KILL).
    let alive = true;
    for (let i = 0; i < 30 && alive; i += 1) {
      alive = (await fx.exec(0, `kill -0 ${pid}`)).code === 0;
      if (alive) await new Promise((r) => setTimeout(r, 500));
    }
    expect(alive).toBe(false);
    expect(await ls(0, gnu().workdir)).toEqual([]);
    await fx.exec(0, `rm -f '${pidFile}'`);
  });

  it('stops starting branches after the first failure with fail_fast, as the ssh2 path does', async () => {
    const flows = [flow('fail', { n: 1 }), flow('plain', { n: 2 }), flow('plain', { n: 3 })];
    const one = [`1/${fx.hosts[1]!.sshlogin}`];
    const viaParallel = await runRemote(fx, flows, gnu({ hosts: one }), { fail_fast: true });
    const viaSsh2 = await runRemote(fx, flows, { hosts: one }, { fail_fast: true });
    expect(viaParallel.results.map((r) => r.error_type)).toEqual(['E_REMOTE_EXIT', 'E_CANCELLED', 'E_CANCELLED']);
    expect(viaParallel.results.map(comparable)).toEqual(viaSsh2.results.map(comparable));
    expect(viaParallel.results[1]!.error).toContain('fail_fast after branch "fail" failed');
  });

  it('reports a host whose ssh fails as E_CONNECT_FAILED, as the ssh2 path does', async () => {
    const port = await freePort();
    const dead = [`1/${fx.hosts[0]!.user}@127.0.0.1:${port}`];
    const viaParallel = await runRemote(fx, [flow('plain', { n: 1 })], gnu({ hosts: dead, connect_timeout: 5 }));
    const viaSsh2 = await runRemote(fx, [flow('plain', { n: 1 })], { hosts: dead, connect_timeout: 5 });
    expect(viaParallel.results[0]).toMatchObject({ success: false, error_type: 'E_CONNECT_FAILED', exit_code: 255 });
    expect(viaParallel.results[0]!.error).toMatch(/Connection refused/);
    expect(viaSsh2.results[0]).toMatchObject({ success: false, error_type: 'E_CONNECT_FAILED' });
  });

  it('with cleanup off, leaves the remote files (readable by their owner only) and the local staging directory', async () => {
    const workdir = `${fx.remoteConfig().workdir as string}-keep`;
    const outcome = await runRemote(fx, [flow('plain', { n: 4, secret: 'x' })], gnu({ hosts: [fx.hosts[0]!.sshlogin], cleanup: false, workdir }));
    expect(outcome.results[0]).toMatchObject({ success: true, state: { n: 4, secret: 'x', who: 'plain' } });
    const [runDir] = await ls(0, workdir);
    expect(runDir).toMatch(new RegExp(`^gp-${outcome.executor.runId}-1$`));
    const modes = await fx.exec(0, `cd '${workdir}/${runDir}' && stat -c '%a %n' tea workflow.yaml flows/0/input.json flows/0/result.json`);
    expect(modes.stdout.trim().split('\n')).toEqual(['700 tea', '600 workflow.yaml', '600 flows/0/input.json', '600 flows/0/result.json']);
    const kept = outcome.logs.find((l) => l.includes('staging directory kept: '))!;
    const local = kept.slice(kept.indexOf('kept: ') + 6);
    expect(readdirSync(local).sort()).toEqual(['args', 'flows', 'joblog.tsv', 'known_hosts', 'tea', 'workflow.yaml']);
    rmSync(local, { recursive: true, force: true });
    await fx.exec(0, `rm -rf '${workdir}'`);
  });

  it('ends GNU Parallel and the remote job when the run is cancelled, with E_CANCELLED results', async () => {
    const pidFile = `${fx.remoteConfig().workdir as string}-cancel.pid`;
    const captured = capture(TRICKY_YAML);
    const executor = new RemoteStrategyExecutor(captured.context);
    const controller = new AbortController();
    const config = parseParallelConfig({ strategy: 'remote', retry: { max_retries: 0 }, remote: fx.remoteConfig(gnu({ hosts: [fx.hosts[1]!.sshlogin], kill_grace_seconds: 1 })) });
    try {
      const running = executor.execute([flow('slow', { pidFile }), flow('slow', { pidFile: `${pidFile}-2` })], config, controller.signal);
      let pid = '';
      for (let i = 0; i < 240 && !/^\d+$/.test(pid); i += 1) {
        await new Promise((r) => setTimeout(r, 500));
        pid = (await fx.exec(1, `cat '${pidFile}' 2>/dev/null`)).stdout.trim();
      }
      expect(pid).toMatch(/^\d+$/);
      controller.abort();
      const results = await running;
      expect(results.map((r) => [r.success, r.error_type])).toEqual([
        [false, 'E_CANCELLED'],
        [false, 'E_CANCELLED'],
      ]);
      let alive = true;
      for (let i = 0; i < 30 && alive; i += 1) {
        alive = (await fx.exec(1, `kill -0 ${pid}`)).code === 0;
        if (alive) await new Promise((r) => setTimeout(r, 500));
      }
      expect(alive).toBe(false);
    } finally {
      await executor.close();
      await fx.exec(1, `rm -f '${pidFile}' '${pidFile}-2'`);
    }
  });

  it('with gnu_parallel: plan, runs over ssh2 and logs the GNU Parallel command', async () => {
    const outcome = await runRemote(fx, [flow('plain', { n: 6 })], gnu({ gnu_parallel: 'plan' }));
    expect(outcome.results[0]).toMatchObject({ success: true, state: { doubled: 12 } });
    expect(outcome.events.filter((e) => e.type === 'method')).toEqual([{ type: 'method', method: 'ssh2', reason: expect.stringContaining('"plan"') }]);
    const logged = outcome.logs.filter((l) => l.startsWith('info: gnu-parallel plan for fan-out 1 '));
    expect(logged).toHaveLength(1);
    expect(logged[0]).toContain(`--workdir ${gnu().workdir}/gp-${outcome.executor.runId}-1 `);
  });

  it('falls back to ssh2, saying why, when GNU Parallel is not on PATH', async () => {
    const path = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      const outcome = await runRemote(fx, [flow('plain', { n: 5 })], gnu());
      expect(outcome.results[0]).toMatchObject({ success: true, state: { who: 'plain', doubled: 10 } });
      const reason = 'gnu_parallel is "run" but GNU Parallel not found on PATH ("parallel"): using ssh2';
      expect(outcome.events.filter((e) => e.type === 'method')).toEqual([{ type: 'method', method: 'ssh2', reason }]);
      expect(outcome.logs).toContain(`info: remote: ${reason}`);
    } finally {
      process.env.PATH = path;
    }
  });
});
