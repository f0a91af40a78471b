import { classify, timeoutError } from '../core/failure-policy';
import { nonJsonPath } from '../core/json-state';
import { TeaError, errorMessage, type ErrorCode } from '../errors';
import { guardEvents } from '../events';
import type { Flow, ParallelFlowResult } from '../executors/types';
import { toParallelResult, type AttemptRecord } from '../core/outcome';
import { guardLogger, silentLogger } from '../log';
import { backoffDelayMs } from './backoff';
import { TargetHealth } from './health';
import { settleWithGrace } from './settle';
import type { RunFlowsOptions, Target } from './types';

interface Pending {
  index: number;
  flow: Flow;
  attempts: AttemptRecord[];
  tried: Set<string>;
  readyAt: number;
  firstStart?: number;
}

export interface RunFlowsExtras {
  /** Breakers and exclusions; pass one to keep them across fan-outs of a run. */
  health?: TargetHealth;
  /** Put the target id in each result's `host` (remote executors). */
  reportTarget?: boolean;
}

/**
 * Runs every flow to exactly one result, in input order: dispatches to the least
 * loaded available target, bounds each attempt by `timeout_seconds`, retries with
 * backoff on another target when one is healthy, honours the per-target circuit
 * breakers, `fail_fast` and cancellation. Never throws for a flow's own failure.
 */
export async function runFlows(options: RunFlowsOptions & RunFlowsExtras): Promise<ParallelFlowResult[]> {
  const { flows, targets, config } = options;
  // A throwing sink or logger must not turn a settled flow into an unhandled rejection.
  const logger = guardLogger(options.logger ?? silentLogger);
  const events = guardEvents(options.events ?? (() => {}), logger);
  const graceMs = options.abortGraceMs ?? 5000;
  const ownsHealth = options.health === undefined;
  const health =
    options.health ?? new TargetHealth(config.circuit_breaker, events, logger);

  const results: (ParallelFlowResult | undefined)[] = new Array(flows.length);
  let remaining = flows.length;
  const queue: Pending[] = flows.map((flow, index) => ({ index, flow, attempts: [], tried: new Set(), readyAt: 0 }));
  const load = new Map<string, number>(targets.map((t) => [t.id, 0]));
  const running = new Map<number, AbortController>();
  let stopError: TeaError | null = null;

  // The dispatch loop sleeps until something changes: an attempt settles, a breaker
  // half-opens, a backoff delay ends, or the run stops. `dirty` keeps a wake-up that
  // comes while the loop is busy from being lost.
  let wakeUp: (() => void) | null = null;
  let dirty = false;
  const wake = () => {
    const resolve = wakeUp;
    wakeUp = null;
    if (resolve === null) dirty = true;
    else resolve();
  };
  const unsubscribe = health.onChange(wake);

  const stop = (error: TeaError) => {
    if (stopError !== null) return;
    stopError = error;
    for (const controller of running.values()) controller.abort(error);
    wake();
  };
  const onCancel = () =>
    stop(new TeaError('E_CANCELLED', 'run cancelled before this branch finished', { cause: options.signal?.reason }));
  if (options.signal?.aborted) onCancel();
  else options.signal?.addEventListener('abort', onCancel, { once: true });

  const settle = (item: Pending, result: ParallelFlowResult) => {
    if (results[item.index] !== undefined) return; // exactly one result per flow
    results[item.index] = result;
    remaining -= 1;
    events({
      type: 'flow:finished',
      index: item.index,
      branch: item.flow.entryPoint,
      target: item.attempts.at(-1)?.host ?? null,
      success: result.success,
      timing_ms: result.timing_ms,
      ...(result.error_type === null ? {} : { error_code: result.error_type }),
    });
  };
  const elapsed = (item: Pending) => (item.firstStart === undefined ? 0 : Date.now() - item.firstStart);
  const hostOf = (item: Pending) => (options.reportTarget ? item.attempts.at(-1)?.host : undefined);

  // A flow that never started anywhere reports the host its error names (say, the one refusing the key).
  const fail = (item: Pending, error: unknown, code: string) =>
    settle(
      item,
      toParallelResult({
        flow: item.flow,
        ok: false,
        error,
        code,
        attempts: item.attempts,
        timingMs: elapsed(item),
        host: hostOf(item) ?? (options.reportTarget && error instanceof TeaError ? error.host : undefined),
      }),
    );

  /** Least loaded available target, preferring ones this flow has not failed on. */
  const pickTarget = (item: Pending): Target | undefined => {
    let best: Target | undefined;
    let bestScore = Infinity;
    for (const target of targets) {
      const used = load.get(target.id) ?? 0;
      if (used >= target.slots || health.unavailableReason(target.id) !== null) continue;
      const score = used / target.slots + (item.tried.has(target.id) ? 1 : 0);
      if (score < bestScore) {
        best = target;
        bestScore = score;
      }
    }
    return best;
  };

  const noTargetCanServe = () =>
    targets.every((t) => health.isExcluded(t.id) || health.isOpen(t.id)) && running.size === 0;

  const start = (item: Pending, target: Target) => {
    const attemptNo = item.attempts.length + 1;
    const controller = new AbortController();
    running.set(item.index, controller);
    load.set(target.id, (load.get(target.id) ?? 0) + 1);
    item.tried.add(target.id);
    const startedAt = Date.now();
    item.firstStart ??= startedAt;
    let timedOut = false;
    const timer =
      config.timeout_seconds === undefined
        ? undefined
        : setTimeout(
            () => {
              timedOut = true;
              controller.abort(
                new TeaError('E_TIMEOUT', `branch "${item.flow.entryPoint}" timed out after ${config.timeout_seconds}s on ${target.id}`, {
                  host: target.id,
                  flow: item.flow.entryPoint,
                }),
              );
            },
            config.timeout_seconds * 1000,
          );
    events({ type: 'flow:started', index: item.index, branch: item.flow.entryPoint, target: target.id, attempt: attemptNo });

    const work = health.run(target.id, () =>
      options.attempt({
        flow: item.flow,
        index: item.index,
        branch: item.flow.entryPoint,
        target,
        attempt: attemptNo,
        signal: controller.signal,
      }),
    );
    settleWithGrace(work, controller.signal, graceMs)
      .then(
        (state) => {
          item.attempts.push({ host: target.id, startedAt, durationMs: Date.now() - startedAt });
          settle(item, toParallelResult({ flow: item.flow, ok: true, state, attempts: item.attempts, timingMs: elapsed(item), host: options.reportTarget ? target.id : undefined }));
        },
        (error: unknown) => onAttemptFailed(item, target, startedAt, error, timedOut),
      )
      .catch((error: unknown) => {
        // Only a bug can land here; the flow still gets its one result.
        logger.error(`scheduler: branch "${item.flow.entryPoint}": ${errorMessage(error)}`);
        fail(item, error, 'E_BRANCH_FAILED');
      })
      .finally(() => {
        if (timer !== undefined) clearTimeout(timer);
        running.delete(item.index);
        load.set(target.id, (load.get(target.id) ?? 1) - 1);
        wake();
      });
  };

  const onAttemptFailed = (item: Pending, target: Target, startedAt: number, error: unknown, timedOut: boolean) => {
    const c = classify(error);
    if (c.notStarted) {
      // Never started there (bad key, changed host key, unusable host, open breaker):
      // the host is the problem, not the flow; it moves on without using a retry.
      if (c.disablesTarget) health.exclude(target.id, error);
      item.tried.add(target.id);
      queue.push(item);
      return;
    }
    item.attempts.push({ host: target.id, startedAt, durationMs: Date.now() - startedAt, failure: { code: c.code as ErrorCode, error } });
    if (c.disablesTarget) health.exclude(target.id, error);
    const retriesUsed = item.attempts.length - 1;
    const wantsRetry = c.retry === 'always' || (c.retry === 'if-configured' && config.retry.retry_on_failure);
    if (wantsRetry && retriesUsed < config.retry.max_retries && stopError === null) {
      const delay = backoffDelayMs(retriesUsed + 1, config.retry);
      item.readyAt = Date.now() + delay;
      queue.push(item);
      logger.info(`branch "${item.flow.entryPoint}" attempt ${item.attempts.length} on ${target.id} failed (${c.code}): retrying in ${delay} ms`);
      events({ type: 'flow:retrying', index: item.index, branch: item.flow.entryPoint, target: target.id, attempt: item.attempts.length + 1, delay_ms: delay, error_code: c.code });
      return;
    }
    // Our own timeout: say how many attempts ran and what to raise.
    if (timedOut && config.timeout_seconds !== undefined) fail(item, timeoutError(item.flow.entryPoint, config.timeout_seconds, item.attempts.length, target.id, error), 'E_TIMEOUT');
    else fail(item, error, c.code);
    if (config.fail_fast && stopError === null) {
      stop(new TeaError('E_CANCELLED', `not finished: fail_fast after branch "${item.flow.entryPoint}" failed`, { flow: item.flow.entryPoint }));
    }
  };

  // A state that is not JSON cannot reach a branch on any strategy: one clear error, never retried.
  // (fanOut checks the state once; this covers executors called directly.)
  for (const item of queue.splice(0)) {
    const bad = nonJsonPath(item.flow.state);
    if (bad === null) queue.push(item);
    else fail(item, new TeaError('E_STATE_INVALID', `branch "${item.flow.entryPoint}": its state is not JSON at ${bad.path} (${bad.what})`, { flow: item.flow.entryPoint }), 'E_STATE_INVALID');
  }

  try {
    while (remaining > 0) {
      const stopped = currentStop();
      if (stopped !== null) {
        for (const item of queue.splice(0)) fail(item, stopped, stopped.code);
        if (remaining === 0) break;
        await waitFor(null);
        continue;
      }
      const now = Date.now();
      let nextReady = Infinity;
      for (let i = 0; i < queue.length; ) {
        const item = queue[i]!;
        if (item.readyAt > now) {
          nextReady = Math.min(nextReady, item.readyAt);
          i += 1;
          continue;
        }
        const target = pickTarget(item);
        if (target === undefined) {
          i += 1;
          continue;
        }
        queue.splice(i, 1);
        start(item, target);
      }
      if (queue.length > 0 && noTargetCanServe()) {
        const error = health.noneLeftError(targets.map((t) => t.id));
        for (const item of queue.splice(0)) fail(item, error, error.code);
        continue;
      }
      if (remaining === 0) break;
      await waitFor(nextReady === Infinity ? null : nextReady - Date.now());
    }
  } finally {
    options.signal?.removeEventListener('abort', onCancel);
    unsubscribe();
    if (ownsHealth) health.shutdown();
  }
  // By construction every flow settled once; an assertion, not a hope.
  const hole = results.findIndex((r) => r === undefined);
  if (hole !== -1) throw new TeaError('E_RESULT_MISSING', `scheduler: branch "${flows[hole]!.entryPoint}" ended without a result (a tea bug: please report it)`);
  return results as ParallelFlowResult[];

  function currentStop(): TeaError | null {
    return stopError;
  }

  function waitFor(ms: number | null): Promise<void> {
    if (dirty) {
      dirty = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = ms === null ? undefined : setTimeout(() => wake(), Math.max(0, ms));
      wakeUp = () => {
        if (timer !== undefined) clearTimeout(timer);
        dirty = false;
        resolve();
      };
    });
  }
}
