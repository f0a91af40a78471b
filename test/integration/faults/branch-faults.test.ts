/**
 * Faults of the branch and of the host's setup, against real sshd: non-zero exit,
 * missing or corrupt result.json, a branch that ignores SIGTERM past its timeout,
 * MaxSessions 2, a refused key, a changed host key, an unwritable workdir.
 */
import { startLocalHosts, type LocalHostsFixture } from '../../harness/hosts';
import { expectOneResultEach, faultConfig, flows, leftovers, runFault, runProcesses, waitFor } from './helpers';

jest.setTimeout(120_000);

describe('one healthy host', () => {
  let fx: LocalHostsFixture;
  beforeAll(async () => {
    fx = await startLocalHosts({ count: 1 });
  });
  afterAll(async () => {
    await fx.stop();
  });

  it('classifies non-zero exit, exit 2, missing, corrupt and non-object results, retrying none of them', async () => {
    const input = flows(6, (i) => ['fail', 'missing', 'corrupt', 'array', 'ok', 'usage'][i]!);
    const { results, runId } = await runFault(input, faultConfig(fx));
    expectOneResultEach(results, input);
    expect(results.map((r) => [r.error_type, r.retry_count])).toEqual([
      ['E_REMOTE_EXIT', 0],
      ['E_RESULT_MISSING', 0],
      ['E_RESULT_INVALID', 0],
      ['E_RESULT_INVALID', 0],
      [null, 0],
      // exit 2: tea rejected its invocation; the same as the process executor (core/exit-status.ts)
      ['E_BRANCH_REJECTED', 0],
    ]);
    expect(results[0]).toMatchObject({ exit_code: 3, stderr_tail: 'fake tea: branch failed with a reason' });
    // One sentence: the branch, where, the remote reason and the exit code; no command line.
    expect(results[0]!.error).toMatch(/^branch "[^"]+" on \S+: fake tea: branch failed with a reason \(tea run exited with code 3\)$/);
    expect(results[2]!.error).toMatch(/result\.json is not valid JSON/);
    expect(results[3]!.error).toMatch(/must hold a JSON object, got an array/);
    expect(await leftovers(fx, 0, runId)).toEqual([]);
  });

  it('retries a non-zero exit only when retry_on_failure is set', async () => {
    const input = flows(1, () => 'fail');
    const { results } = await runFault(input, faultConfig(fx, {}, { retry: { max_retries: 2, base_delay: 0.01, retry_on_failure: true } }));
    expect(results[0]).toMatchObject({ error_type: 'E_REMOTE_EXIT', retry_count: 2 });
  });

  it('a timed-out branch that ignores SIGTERM is killed with its children; nothing of it survives', async () => {
    const input = flows(2, (i) => (i === 0 ? 'hang' : 'ok'));
    const { results, runId, ms } = await runFault(input, faultConfig(fx, {}, { timeout_seconds: 1, retry: { max_retries: 0 } }));
    expectOneResultEach(results, input);
    expect(results[0]).toMatchObject({ success: false, timeout: true, error_type: 'E_TIMEOUT' });
    expect(results[1]!.success).toBe(true);
    expect(ms).toBeLessThan(30_000);
    // TERM is ignored; KILL follows after kill_grace_seconds (1 s).
    expect(await waitFor(async () => (await runProcesses(fx, 0, runId)).length === 0, 15_000)).toBe(true);
    expect(await leftovers(fx, 0, runId)).toEqual([]);
  });

  it('a workdir that cannot be created: the preflight refuses the host before any upload, saying why', async () => {
    const input = flows(2);
    const { results, ms } = await runFault(input, faultConfig(fx, { workdir: '/proc/tea-jobs' }, { retry: { max_retries: 1, base_delay: 0.01 } }));
    expectOneResultEach(results, input);
    for (const r of results) {
      expect(r.error_type).toBe('E_NO_HEALTHY_HOST');
      expect(r.error).toMatch(/workdir \/proc\/tea-jobs \(nearest existing: \/proc\) is not writable by /);
    }
    expect(ms).toBeLessThan(30_000);
  });
});

it('MaxSessions 2: channels the server refuses are waited for; every flow succeeds on one connection', async () => {
  const fx = await startLocalHosts({ count: 1, sshdOptions: { MaxSessions: '2' } });
  try {
    const input = flows(40);
    const { results, logs } = await runFault(input, faultConfig(fx, { max_channels_per_host: 8 }));
    expectOneResultEach(results, input);
    expect(results.filter((r) => !r.success)).toEqual([]);
    expect(results.every((r) => r.retry_count === 0)).toBe(true);
    expect(fx.countConnections(0)).toBe(1);
    expect(logs.filter((l) => l.includes('server refused a channel (MaxSessions?)'))).toHaveLength(1);
  } finally {
    await fx.stop();
  }
});

it('a refused key fails fast, is not retried, and says how to fix it; flows move to a host that accepts', async () => {
  const fx = await startLocalHosts({ count: 2, wrongKeyOn: [0] });
  try {
    const alone = await runFault(flows(4), faultConfig(fx, { hosts: [fx.hosts[0]!.sshlogin] }));
    expect(alone.ms).toBeLessThan(20_000);
    for (const r of alone.results) {
      expect(r.error_type).toBe('E_AUTH_FAILED');
      expect(r.error).toMatch(/authentication failed for user "tea-test|authentication failed for user/);
      expect(r.error).toMatch(/ssh-copy-id -i .*\.pub -p \d+ /);
      expect(r.retry_count).toBe(0);
    }
    const mixed = await runFault(flows(6), faultConfig(fx));
    expect(mixed.results.every((r) => r.success && r.host === fx.hosts[1]!.sshlogin && r.retry_count === 0)).toBe(true);
    expect(mixed.logs.filter((l) => l.includes('excluded from this run'))).toHaveLength(1);
  } finally {
    await fx.stop();
  }
});

it('a changed host key is refused, naming host, port and both fingerprints', async () => {
  const fx = await startLocalHosts({ count: 1 });
  try {
    await fx.restart(0, { newHostKey: true });
    const { results } = await runFault(flows(3), faultConfig(fx));
    for (const r of results) {
      expect(r.error_type).toBe('E_HOST_KEY_REJECTED');
      expect(r.error).toContain(`HOST KEY CHANGED for [127.0.0.1]:${fx.hosts[0]!.port}`);
      expect(r.error!.match(/SHA256:/g)!.length).toBeGreaterThanOrEqual(2);
    }
    expect(fx.countConnections(0)).toBe(0); // refused before authenticating
  } finally {
    await fx.stop();
  }
});
