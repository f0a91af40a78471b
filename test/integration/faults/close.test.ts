/**
 * Close paths are bounded (docs/decisions.md, "Every wait and what bounds it"): closing
 * the pool or the executor never waits for a host that stopped answering (SIGSTOP of its
 * sshd and sessions), and once the host runs again nothing of the run is left but what
 * the docs name (the run directory of a host lost at the end: the next run removes it).
 */
import { parseParallelConfig } from '../../../src/config/parallel';
import { ignoreEvents } from '../../../src/events';
import { silentLogger } from '../../../src/log';
import { RemoteExecutor } from '../../../src/remote/executor';
import { hostSlug } from '../../../src/remote/host/layout';
import { ConnectionPool } from '../../../src/remote/ssh/pool';
import { resolveHosts } from '../../../src/remote/trust/hosts';
import { startLocalHosts, type LocalHostsFixture } from '../../harness/hosts';
import { capture } from '../remote/helpers';
import { faultConfig, flows, leftovers, runProcesses, waitFor } from './helpers';

jest.setTimeout(180_000);

let fx: LocalHostsFixture;
beforeEach(async () => {
  fx = await startLocalHosts({ count: 3 });
});
afterEach(async () => {
  for (let i = 0; i < 3; i += 1) fx.resume(i);
  await fx.stop();
});

it('closing the pool does not wait for connects queued behind hung handshakes', async () => {
  for (let i = 0; i < 3; i += 1) fx.pause(i);
  // One handshake at a time, 20 s each: before, close() waited for all three in turn (60 s).
  const remote = parseParallelConfig({
    strategy: 'remote',
    remote: fx.remoteConfig({ connect_timeout: 20, max_concurrent_handshakes: 1 }),
  }).remote!;
  const pool = new ConnectionPool(resolveHosts(remote), remote, silentLogger, ignoreEvents);
  const connects = pool.all().map((c) => c.connect().then(() => null, (e: unknown) => e));
  await new Promise((r) => setTimeout(r, 500));
  const started = Date.now();
  await pool.close();
  const closeMs = Date.now() - started;
  const errors = await Promise.all(connects);
  expect(closeMs).toBeLessThan(5_000);
  expect(errors.map((e) => (e as { code?: string }).code)).toEqual(['E_CANCELLED', 'E_CANCELLED', 'E_CANCELLED']);
});

it('executor.close() after a cancelled run whose host hung mid-run: bounded, and the host is clean once it resumes', async () => {
  // Default keepalive (5 s x 3): the hung host is not yet "lost" when close() starts.
  const config = faultConfig(fx, { hosts: [fx.hosts[0]!.sshlogin], keepalive_interval: 5, keepalive_count_max: 3 });
  const c = capture('name: close\n');
  const executor = new RemoteExecutor(c.context);
  const cancel = new AbortController();
  const running = executor.execute(flows(4, (i) => `slow${i}`), config, cancel.signal);
  expect(await waitFor(async () => (await runProcesses(fx, 0, executor.runId)).length > 0, 30_000)).toBe(true);
  fx.pause(0);
  cancel.abort();
  const results = await running;
  expect(results.map((r) => r.error_type)).toEqual(['E_CANCELLED', 'E_CANCELLED', 'E_CANCELLED', 'E_CANCELLED']);
  const started = Date.now();
  await executor.close();
  const closeMs = Date.now() - started;
  // Keepalive notices the hung host within ~15 s (the cleanup exec's own bound is 30 s), then 2 s for the goodbye.
  expect(closeMs).toBeLessThan(25_000);
  expect(c.logs.some((l) => /cleanup failed, remove .* by hand/.test(l))).toBe(true);
  // Running again, its sshd sees the dropped connection: the sessions end, the watchdogs end the branches.
  fx.resume(0);
  expect(await waitFor(async () => (await runProcesses(fx, 0, executor.runId)).length === 0, 30_000)).toBe(true);
  // Only the run directory is left (with the flow directories of the branches that were running when the
  // host hung): the session could not remove it, and the next run on the host removes it (run-marker.ts).
  expect(await leftovers(fx, 0, executor.runId)).toEqual([`run-${executor.runId}-${hostSlug(fx.hosts[0]!.sshlogin)}`]);
});
