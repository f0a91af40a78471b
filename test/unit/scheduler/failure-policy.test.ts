import { parseParallelConfig } from '../../../src/config/parallel';
import { TeaError } from '../../../src/errors';
import type { RunEvent } from '../../../src/events';
import type { Flow } from '../../../src/executors/types';
import type { Logger } from '../../../src/log';
import { TargetHealth } from '../../../src/scheduler/health';
import { runFlows } from '../../../src/scheduler/run-flows';

// Issue 16, "failure policy": each test below fails on the code before the change.
const flows = (n: number, prefix = 'b'): Flow[] => Array.from({ length: n }, (_, i) => ({ entryPoint: `${prefix}${i}`, exitPoint: 'join', state: { i } }));
const config = (extra: Record<string, unknown> = {}) =>
  parseParallelConfig({ retry: { base_delay: 0.001, max_delay: 0.01, max_retries: 1 }, ...extra });
const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      reject(signal.reason);
    });
  });

describe('failure policy', () => {
  it('a branch that runs past timeout_seconds is the branch\'s failure: healthy hosts keep their breakers closed', async () => {
    const events: RunEvent[] = [];
    // Six slow branches, then eighty trivial ones, on two hosts whose breakers open at the first charged failure.
    const slow = flows(6, 'slow');
    const quick = flows(80, 'quick');
    const results = await runFlows({
      flows: [...slow, ...quick],
      targets: [
        { id: 'h1', slots: 3 },
        { id: 'h2', slots: 3 },
      ],
      config: config({ timeout_seconds: 0.05, circuit_breaker: { failure_threshold: 1, reset_timeout: 60 } }),
      reportTarget: true,
      abortGraceMs: 100,
      events: (e) => events.push(e),
      attempt: async ({ flow, signal }) => {
        if (flow.entryPoint.startsWith('slow')) await sleep(10_000, signal);
        return { ok: true };
      },
    });
    expect(results.slice(0, 6).map((r) => r.error_type)).toEqual(Array(6).fill('E_TIMEOUT'));
    expect(results.slice(6).every((r) => r.success)).toBe(true);
    expect(events.filter((e) => e.type === 'breaker:open')).toEqual([]);
  });

  it('a timed-out branch is retried per settings and its message says how many attempts ran and what to raise', async () => {
    let attempts = 0;
    const [r] = await runFlows({
      flows: flows(1),
      targets: [{ id: 'h1', slots: 1 }],
      config: config({ timeout_seconds: 0.05, retry: { max_retries: 2, base_delay: 0.001 } }),
      reportTarget: true,
      abortGraceMs: 100,
      attempt: async ({ signal }) => {
        attempts += 1;
        await sleep(10_000, signal);
        return {};
      },
    });
    expect(attempts).toBe(3);
    expect(r).toMatchObject({ success: false, timeout: true, error_type: 'E_TIMEOUT', retry_count: 2 });
    expect(r!.error).toBe('branch "b0" timed out after 0.05s on each of 3 attempts (last on h1): raise settings.parallel.timeout_seconds if it needs longer, or find why it hangs');
  });

  it('an event sink and a logger that throw cannot break a run (no unhandled rejection, every result in)', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const throwing: Logger = {
        debug: () => {
          throw new Error('logger down');
        },
        info: () => {
          throw new Error('logger down');
        },
        warn: () => {
          throw new Error('logger down');
        },
        error: () => {
          throw new Error('logger down');
        },
      };
      let n = 0;
      const results = await runFlows({
        flows: flows(4),
        targets: [{ id: 'a', slots: 2 }],
        config: config({ retry: { max_retries: 1, base_delay: 0.001, retry_on_failure: true } }),
        logger: throwing,
        events: () => {
          throw new Error('sink down');
        },
        attempt: async ({ index }) => {
          n += 1;
          if (index === 1 && n < 4) throw new Error('flaky'); // a retry: logged and emitted
          return { index };
        },
      });
      expect(results.map((r) => r.success)).toEqual([true, true, true, true]);
      await sleep(50);
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});

describe('circuit_breaker.window', () => {
  it('opens only when failure_threshold transport failures fall within window seconds', async () => {
    let now = 1_000_000;
    const opened: string[] = [];
    const health = new TargetHealth(
      parseParallelConfig({ circuit_breaker: { failure_threshold: 2, window: 10, reset_timeout: 60 } }).circuit_breaker,
      (e) => opened.push(e.type),
      undefined,
      undefined,
      () => now,
    );
    const lost = () => Promise.reject(new TeaError('E_CONNECTION_LOST', 'lost'));
    try {
      await expect(health.run('h', lost)).rejects.toThrow('lost');
      now += 11_000; // outside the window: the first failure no longer counts
      await expect(health.run('h', lost)).rejects.toThrow('lost');
      expect(health.isOpen('h')).toBe(false);
      now += 5_000; // inside the window of the second
      await expect(health.run('h', lost)).rejects.toThrow('lost');
      expect(health.isOpen('h')).toBe(true);
      expect(opened).toEqual(['breaker:open']);
    } finally {
      health.shutdown();
    }
  });

  it('a timeout neither counts against a host nor clears its failures', async () => {
    const health = new TargetHealth(parseParallelConfig({ circuit_breaker: { failure_threshold: 2, reset_timeout: 60 } }).circuit_breaker);
    try {
      await expect(health.run('h', () => Promise.reject(new TeaError('E_CONNECTION_LOST', 'lost')))).rejects.toThrow();
      await expect(health.run('h', () => Promise.reject(new TeaError('E_TIMEOUT', 'slow')))).rejects.toThrow();
      expect(health.isOpen('h')).toBe(false);
      await expect(health.run('h', () => Promise.reject(new TeaError('E_CONNECT_FAILED', 'refused')))).rejects.toThrow();
      expect(health.isOpen('h')).toBe(true);
    } finally {
      health.shutdown();
    }
  });
});
