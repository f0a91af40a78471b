import { setTimeout as delay } from 'node:timers/promises';

/**
 * Settles as `promise` does, or rejects with the reason of the first signal to
 * abort; leaves no listener behind. The promise keeps running: this is how a caller
 * stops *waiting* for shared work without cancelling it for the others.
 */
export function raceAbort<T>(promise: Promise<T>, ...maybeSignals: Array<AbortSignal | undefined>): Promise<T> {
  const signals = maybeSignals.filter((s): s is AbortSignal => s !== undefined);
  // When a signal wins, `promise` may still reject later: that must not become an unhandled rejection.
  promise.catch(() => {});
  const aborted = signals.find((s) => s.aborted);
  if (aborted !== undefined) return Promise.reject(aborted.reason);
  if (signals.length === 0) return promise;
  return new Promise<T>((resolve, reject) => {
    const detach = () => signals.forEach((s) => s.removeEventListener('abort', onAbort));
    const onAbort = (event: Event) => {
      detach();
      reject((event.target as AbortSignal).reason);
    };
    signals.forEach((s) => s.addEventListener('abort', onAbort));
    promise.then(
      (v) => {
        detach();
        resolve(v);
      },
      (e) => {
        detach();
        reject(e);
      },
    );
  });
}

/** Waits `ms`; rejects with the signal's reason when it aborts first. The timer goes with it. */
export async function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  try {
    await delay(ms, undefined, signal === undefined ? undefined : { signal });
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    throw error;
  }
}

/**
 * A signal that aborts after `ms` with `reason()` or when any parent aborts (with the
 * parent's reason). `dispose()` clears the timer: call it when the bounded work ends,
 * so no timer outlives it.
 */
export function deadline(ms: number, reason: () => unknown, ...parents: AbortSignal[]): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(reason()), ms);
  const onParent = (event: Event) => controller.abort((event.target as AbortSignal).reason);
  const dispose = () => {
    clearTimeout(timer);
    parents.forEach((p) => p.removeEventListener('abort', onParent));
  };
  for (const parent of parents) {
    if (parent.aborted) controller.abort(parent.reason);
    else parent.addEventListener('abort', onParent, { once: true });
  }
  controller.signal.addEventListener('abort', dispose, { once: true });
  return { signal: controller.signal, dispose };
}
