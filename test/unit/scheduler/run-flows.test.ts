import { parseParallelConfig } from '../../../src/config/parallel';
import { TeaError } from '../../../src/errors';
import type { RunEvent } from '../../../src/events';
import type { Flow } from '../../../src/executors/types';
import { runFlows } from '../../../src/scheduler/run-flows';
import type { AttemptContext, Target } from '../../../src/scheduler/types';

const flows = (n: number): Flow[] =>
  Array.from({ length: n }, (_, i) => ({ entryPoint: `b${i}`, exitPoint: 'join', state: { i } }));
const targets = (...ids: string[]): Target[] => ids.map((id) => ({ id, slots: 2 }));
const config = (extra: Record<string, unknown> = {}) =>
  parseParallelConfig({ retry: { base_delay: 0.001, max_delay: 0.01, max_retries: 2 }, ...extra });
const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      reject(signal.reason);
    });
  });

describe('runFlows', () => {
  it('returns one result per flow in input order, whatever order they finish in', async () => {
    const results = await runFlows({
      flows: flows(6),
      targets: targets('a', 'b'),
      config: config(),
      attempt: async ({ flow }) => {
        await sleep(30 - 5 * (flow.state.i as number));
        return { doubled: (flow.state.i as number) * 2 };
      },
    });
    expect(results.map((r) => r.state)).toEqual([0, 2, 4, 6, 8, 10].map((d) => ({ doubled: d })));
    expect(results.every((r) => r.success && r.retry_count === 0)).toBe(true);
  });

  it('never runs more attempts on a target than its slots, and spreads load', async () => {
    const running = new Map<string, number>();
    let peak = 0;
    const used = new Set<string>();
    await runFlows({
      flows: flows(10),
      targets: targets('a', 'b', 'c'),
      config: config(),
      attempt: async ({ target }) => {
        used.add(target.id);
        const now = (running.get(target.id) ?? 0) + 1;
        running.set(target.id, now);
        peak = Math.max(peak, now);
        await sleep(10);
        running.set(target.id, now - 1);
        return {};
      },
    });
    expect(peak).toBeLessThanOrEqual(2);
    expect(used).toEqual(new Set(['a', 'b', 'c']));
  });

  it('retries a transport failure on another target and records every attempt', async () => {
    const results = await runFlows({
      flows: flows(1),
      targets: targets('bad', 'good'),
      config: config(),
      reportTarget: true,
      attempt: async ({ target }) => {
        if (target.id === 'bad') throw new TeaError('E_CONNECTION_LOST', 'lost', { host: 'bad' });
        return { ok: true };
      },
    });
    const [r] = results;
    expect(r!.success).toBe(true);
    expect(r!.host).toBe('good');
    expect(r!.retry_count).toBe(1);
    expect(r!.attempts!.map((a) => [a.host, a.ok, a.error_code])).toEqual([
      ['bad', false, 'E_CONNECTION_LOST'],
      ['good', true, undefined],
    ]);
  });

  it('does not retry a branch failure unless retry_on_failure is set', async () => {
    let calls = 0;
    const attempt = async () => {
      calls += 1;
      throw new TeaError('E_REMOTE_EXIT', 'exit 3', { exitCode: 3, stderrTail: 'boom' });
    };
    const [r] = await runFlows({ flows: flows(1), targets: targets('a'), config: config(), attempt });
    expect(calls).toBe(1);
    expect(r).toMatchObject({ success: false, error_type: 'E_REMOTE_EXIT', exit_code: 3, stderr_tail: 'boom' });
    calls = 0;
    await runFlows({
      flows: flows(1),
      targets: targets('a'),
      config: config({ retry: { max_retries: 2, base_delay: 0.001, retry_on_failure: true } }),
      attempt,
    });
    expect(calls).toBe(3);
  });

  it('moves flows off a target whose key is refused, without using a retry, and excludes it', async () => {
    const seen: string[] = [];
    const results = await runFlows({
      flows: flows(4),
      targets: [
        { id: 'badkey', slots: 1 },
        { id: 'ok', slots: 1 },
      ],
      config: config({ retry: { max_retries: 0 } }),
      reportTarget: true,
      attempt: async ({ target }) => {
        seen.push(target.id);
        if (target.id === 'badkey') throw new TeaError('E_AUTH_FAILED', 'denied: run ssh-copy-id');
        await sleep(5);
        return {};
      },
    });
    expect(seen.filter((t) => t === 'badkey')).toHaveLength(1);
    expect(results.every((r) => r.success && r.host === 'ok' && r.retry_count === 0)).toBe(true);
  });

  it('fails every flow fast with the refusal itself when every target refuses the key', async () => {
    let calls = 0;
    const results = await runFlows({
      flows: flows(5),
      targets: [{ id: 'badkey', slots: 2 }],
      config: config(),
      attempt: async () => {
        calls += 1;
        throw new TeaError('E_AUTH_FAILED', 'badkey: authentication failed; run ssh-copy-id');
      },
    });
    expect(calls).toBeLessThanOrEqual(2); // the flows already dispatched, no retries
    expect(results.map((r) => r.error_type)).toEqual(Array(5).fill('E_AUTH_FAILED'));
    expect(results.every((r) => r.error!.includes('ssh-copy-id'))).toBe(true);
  });

  it('moves the flows of an unusable host to the others without using a retry, excluding it once', async () => {
    const events: RunEvent[] = [];
    const results = await runFlows({
      flows: flows(4),
      targets: targets('bad', 'ok'),
      config: config({ retry: { max_retries: 0 } }),
      events: (e) => events.push(e),
      attempt: async ({ target }) => {
        if (target.id === 'bad') throw new TeaError('E_HOST_UNUSABLE', 'bad: unusable (preflight): disk full', { host: 'bad' });
        return { on: target.id };
      },
    });
    expect(results.map((r) => [r.success, r.host ?? r.state])).toEqual(Array(4).fill([true, { on: 'ok' }]));
    expect(results.every((r) => r.attempts?.length === 1)).toBe(true);
    expect(events.filter((e) => e.type === 'host:excluded')).toEqual([{ type: 'host:excluded', host: 'bad', reason: 'unusable (preflight): disk full' }]);
  });

  it('fails every flow naming each target\'s reason when no target is usable', async () => {
    const results = await runFlows({
      flows: flows(2),
      targets: targets('a', 'b'),
      config: config(),
      attempt: async ({ target }) => {
        throw new TeaError('E_HOST_UNUSABLE', `${target.id}: unusable (preflight): reason of ${target.id}`, { host: target.id });
      },
    });
    expect(results.map((r) => r.error_type)).toEqual(['E_NO_HEALTHY_HOST', 'E_NO_HEALTHY_HOST']);
    expect(results[0]!.error).toBe('no healthy host left (a: excluded: unusable (preflight): reason of a; b: excluded: unusable (preflight): reason of b)');
  });

  it('times out an attempt, aborts its signal and reports timeout', async () => {
    let aborted = false;
    const [r] = await runFlows({
      flows: flows(1),
      targets: targets('a'),
      config: config({ timeout_seconds: 0.05, retry: { max_retries: 0 } }),
      attempt: async ({ signal }) => {
        signal.addEventListener('abort', () => (aborted = true));
        await sleep(10_000, signal);
        return {};
      },
    });
    expect(aborted).toBe(true);
    expect(r).toMatchObject({ success: false, timeout: true, error_type: 'E_TIMEOUT' });
  });

  it('gives up on an attempt that ignores its abort signal after the grace period', async () => {
    const started = Date.now();
    const [r] = await runFlows({
      flows: flows(1),
      targets: targets('a'),
      config: config({ timeout_seconds: 0.05, retry: { max_retries: 0 } }),
      abortGraceMs: 50,
      attempt: () => new Promise(() => {}),
    });
    expect(r!.timeout).toBe(true);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('opens a breaker after consecutive transport failures and fails fast when every target is open', async () => {
    const events: RunEvent[] = [];
    let calls = 0;
    const results = await runFlows({
      flows: flows(10),
      targets: [{ id: 'down', slots: 1 }],
      config: config({ circuit_breaker: { failure_threshold: 2, reset_timeout: 60 }, retry: { max_retries: 0 } }),
      events: (e) => events.push(e),
      attempt: async () => {
        calls += 1;
        throw new TeaError('E_CONNECT_FAILED', 'refused');
      },
    });
    expect(calls).toBe(2);
    expect(results).toHaveLength(10);
    expect(results.slice(2).every((r) => r.error_type === 'E_NO_HEALTHY_HOST')).toBe(true);
    expect(events.filter((e) => e.type === 'breaker:open')).toHaveLength(1);
  });

  it('moves queued flows off an open target onto a healthy one', async () => {
    const results = await runFlows({
      flows: flows(8),
      targets: [
        { id: 'down', slots: 4 },
        { id: 'up', slots: 1 },
      ],
      config: config({ circuit_breaker: { failure_threshold: 1, reset_timeout: 60 }, retry: { max_retries: 3, base_delay: 0.001 } }),
      reportTarget: true,
      attempt: async ({ target }) => {
        if (target.id === 'down') throw new TeaError('E_CONNECT_FAILED', 'refused');
        await sleep(2);
        return {};
      },
    });
    expect(results.every((r) => r.success && r.host === 'up')).toBe(true);
  });

  it('half-opens after reset_timeout, lets one probe through and closes on success', async () => {
    const events: string[] = [];
    let healthy = false;
    const results = await runFlows({
      flows: flows(3),
      targets: [
        { id: 'flaky', slots: 1 },
        { id: 'slow', slots: 1 },
      ],
      config: config({ circuit_breaker: { failure_threshold: 1, reset_timeout: 0.05 }, retry: { max_retries: 5, base_delay: 0.001 } }),
      events: (e) => events.push(e.type),
      attempt: async ({ target }) => {
        if (target.id === 'flaky' && !healthy) {
          healthy = true;
          throw new TeaError('E_CONNECTION_LOST', 'lost');
        }
        await sleep(target.id === 'slow' ? 200 : 1);
        return {};
      },
    });
    expect(results.every((r) => r.success)).toBe(true);
    expect(events).toEqual(expect.arrayContaining(['breaker:open', 'breaker:half-open', 'breaker:closed']));
  });

  it('fail_fast stops dispatching after the first failure and still returns one result per flow', async () => {
    const results = await runFlows({
      flows: flows(5),
      targets: [{ id: 'a', slots: 1 }],
      config: config({ fail_fast: true }),
      attempt: async ({ index }) => {
        if (index === 1) throw new Error('branch broke');
        return {};
      },
    });
    expect(results.map((r) => r.error_type)).toEqual([null, 'E_BRANCH_FAILED', 'E_CANCELLED', 'E_CANCELLED', 'E_CANCELLED']);
  });

  it('cancellation aborts running attempts and returns a result for every flow', async () => {
    const controller = new AbortController();
    const aborted: number[] = [];
    setTimeout(() => controller.abort(), 30);
    const results = await runFlows({
      flows: flows(5),
      targets: [{ id: 'a', slots: 2 }],
      config: config(),
      signal: controller.signal,
      attempt: async ({ index, signal }) => {
        signal.addEventListener('abort', () => aborted.push(index));
        await sleep(5000, signal);
        return {};
      },
    });
    expect(results).toHaveLength(5);
    expect(results.every((r) => r.error_type === 'E_CANCELLED')).toBe(true);
    expect(aborted.sort()).toEqual([0, 1]);
  });

  it('fails every flow clearly when there are no targets', async () => {
    const results = await runFlows({ flows: flows(2), targets: [], config: config(), attempt: async () => ({}) });
    expect(results.map((r) => r.error_type)).toEqual(['E_NO_HEALTHY_HOST', 'E_NO_HEALTHY_HOST']);
  });
});
