/**
 * Waits for `work`; once `signal` aborts, waits at most `graceMs` more for it to
 * settle (so a remote process can be ended and its slot freed), then gives up on
 * it. An aborted attempt always fails with the abort reason (timeout or cancel),
 * whatever the work itself rejected with while being torn down.
 */
export function settleWithGrace<T>(work: Promise<T>, signal: AbortSignal, graceMs: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let graceTimer: NodeJS.Timeout | undefined;
    let done = false;
    const finish = (fn: () => void) => {
      if (done) return;
      done = true;
      if (graceTimer !== undefined) clearTimeout(graceTimer);
      signal.removeEventListener('abort', onAbort);
      fn();
    };
    const onAbort = () => {
      graceTimer = setTimeout(() => finish(() => reject(signal.reason)), graceMs);
    };
    work.then(
      (value) => finish(() => (signal.aborted ? reject(signal.reason) : resolve(value))),
      (error) => finish(() => reject(signal.aborted ? signal.reason : error)),
    );
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
}
