import { parseParallelConfig } from '../../../src/config/parallel';
import { TeaError } from '../../../src/errors';
import { ignoreEvents } from '../../../src/events';
import { createThreadExecutor, type BranchRunner } from '../../../src/executors/thread';
import type { Flow } from '../../../src/executors/types';
import { silentLogger } from '../../../src/log';

const context = { logger: silentLogger, events: ignoreEvents };
const flows = (n: number): Flow[] => Array.from({ length: n }, (_, i) => ({ entryPoint: `b${i}`, exitPoint: 'j', state: { i, list: [] as number[] } }));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('thread executor', () => {
  it('runs at most max_workers branches at once and returns results in input order', async () => {
    let running = 0;
    let peak = 0;
    const runBranch: BranchRunner = async (flow) => {
      running += 1;
      peak = Math.max(peak, running);
      await sleep(20 - (flow.state.i as number) * 2);
      running -= 1;
      return { out: flow.state.i };
    };
    const executor = createThreadExecutor(context, runBranch);
    const results = await executor.execute(flows(6), parseParallelConfig({ max_workers: 2 }));
    expect(peak).toBe(2);
    expect(results.map((r) => r.state)).toEqual([0, 1, 2, 3, 4, 5].map((out) => ({ out })));
    await executor.close!();
  });

  it('gives every attempt a fresh copy of the branch state', async () => {
    const seen: unknown[] = [];
    const runBranch: BranchRunner = async (flow) => {
      const list = flow.state.list as number[];
      seen.push([...list]);
      list.push(1);
      if (seen.length === 1) throw new TeaError('E_NODE_FAILED', 'first try fails');
      return flow.state;
    };
    const original = flows(1);
    const executor = createThreadExecutor(context, runBranch);
    const [result] = await executor.execute(original, parseParallelConfig({ retry: { max_retries: 1, retry_on_failure: true, base_delay: 0 } }));
    expect(result).toMatchObject({ success: true, retry_count: 1 });
    expect(seen).toEqual([[], []]);
    expect(original[0]!.state.list).toEqual([]);
    await executor.close!();
  });

  it('aborts the attempt signal on timeout', async () => {
    let aborted: unknown;
    const runBranch: BranchRunner = (_flow, signal) =>
      new Promise((_resolve, reject) =>
        signal.addEventListener('abort', () => {
          aborted = signal.reason;
          reject(signal.reason);
        }),
      );
    const executor = createThreadExecutor(context, runBranch);
    const [result] = await executor.execute(flows(1), parseParallelConfig({ timeout_seconds: 0.03, retry: { max_retries: 0 } }));
    expect(result).toMatchObject({ success: false, timeout: true });
    expect((aborted as TeaError).code).toBe('E_TIMEOUT');
    await executor.close!();
  });
});
