/**
 * Load with a fault (1000 flows over 3 hosts, one host killed halfway) and
 * cancellation of a running remote fan-out. Wall time and peak RSS of the load
 * run are printed for the record; they are not asserted (benchmarks live in bench/).
 */
import { RemoteExecutor } from '../../../src/remote/executor';
import { hostSlug } from '../../../src/remote/host/layout';
import { startLocalHosts, type LocalHostsFixture } from '../../harness/hosts';
import { capture } from '../remote/helpers';
import { expectOneResultEach, faultConfig, flows, leftovers, runFault, runProcesses, waitFor } from './helpers';

jest.setTimeout(300_000);

let fx: LocalHostsFixture;
beforeAll(async () => {
  fx = await startLocalHosts({ count: 3 });
});
afterAll(async () => {
  await fx.stop();
});

it('1000 flows over 3 hosts, one killed halfway: 1000 results, all successful on the survivors', async () => {
  const input = flows(1000);
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50);
  const { results, ms, runId } = await runFault(input, faultConfig(fx, {}, { retry: { max_retries: 5, base_delay: 0.05 } }), async (executor) => {
    // kill host 1 once about half of the flows are done
    await waitFor(async () => executor.finishedCount() >= 500, 240_000);
    await fx.kill(1);
  });
  clearInterval(sampler);
  expectOneResultEach(results, input);
  expect(results.filter((r) => !r.success)).toEqual([]);
  const moved = results.filter((r) => r.retry_count > 0);
  expect(moved.length).toBeGreaterThan(0);
  expect(moved.every((r) => r.host !== fx.hosts[1]!.sshlogin)).toBe(true);
  console.log(`load: 1000 flows, 3 hosts (one killed at 500): ${ms} ms wall, ${moved.length} flows moved, peak RSS of the test process ${(peakRss / 2 ** 20).toFixed(0)} MiB`);
  expect(await waitFor(async () => (await runProcesses(fx, 0, runId)).length === 0, 20_000)).toBe(true);
  // The killed host's own run directory stays (it was gone at the end): a dead run's
  // leftover, removed by the next run on that host (security/leftovers.test.ts).
  expect(await leftovers(fx, 0, runId)).toEqual([`run-${runId}-${hostSlug(fx.hosts[1]!.sshlogin)}`]);
});

it('cancelling a run ends the remote branches, cleans up, and still returns one result per flow', async () => {
  const survivors = { hosts: [fx.hosts[0]!.sshlogin, fx.hosts[2]!.sshlogin] };
  const input = flows(12, (i) => (i < 2 ? `ok${i}` : 'hang'));
  const captured = capture('name: cancel\n');
  const executor = new RemoteExecutor(captured.context);
  const controller = new AbortController();
  const config = faultConfig(fx, survivors);
  const running = executor.execute(input, config, controller.signal);
  await waitFor(async () => (await runProcesses(fx, 0, executor.runId)).length >= 10, 30_000);
  controller.abort();
  const results = await running;
  await executor.close();
  expectOneResultEach(results, input);
  expect(results.slice(0, 2).every((r) => r.success)).toBe(true);
  expect(results.slice(2).every((r) => r.error_type === 'E_CANCELLED')).toBe(true);
  expect(await waitFor(async () => (await runProcesses(fx, 0, executor.runId)).length === 0, 20_000)).toBe(true);
  expect(await leftovers(fx, 0, executor.runId)).toEqual([]);
});
