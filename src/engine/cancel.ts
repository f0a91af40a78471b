import { TeaError, isTeaError } from '../errors';

/** Why a run stopped early: the abort reason when it is a TeaError (timeout, cancel), else E_CANCELLED. */
export function abortError(signal: AbortSignal): TeaError {
  const reason: unknown = signal.reason;
  return isTeaError(reason) ? reason : new TeaError('E_CANCELLED', 'run cancelled', { cause: reason });
}

export function throwIfAborted(signal: AbortSignal): void {
  if (signal.aborted) throw abortError(signal);
}

/**
 * Lets timers and I/O callbacks (an abort, a timeout) run between nodes, so a
 * loop of nodes that never truly wait cannot starve them.
 */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
