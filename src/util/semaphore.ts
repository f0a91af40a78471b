/** A counting semaphore whose waits can be abandoned through an AbortSignal; its size can shrink (a limit learned at run time). */
export class Semaphore {
  #permits: number;
  #held = 0;
  readonly #waiters: Array<{ grant: () => void }> = [];

  constructor(permits: number) {
    this.#permits = permits;
  }

  get permits(): number {
    return this.#permits;
  }

  /** Permits taken now. */
  get held(): number {
    return this.#held;
  }

  /** Changes the number of permits; holders above a smaller limit keep theirs until they release. */
  setPermits(permits: number): void {
    this.#permits = Math.max(1, permits);
    this.#grant();
  }

  async acquire(signal?: AbortSignal): Promise<() => void> {
    signal?.throwIfAborted();
    if (this.#held < this.#permits && this.#waiters.length === 0) {
      this.#held += 1;
      return this.#releaser();
    }
    await new Promise<void>((resolve, reject) => {
      const waiter = {
        grant: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      const onAbort = () => {
        const i = this.#waiters.indexOf(waiter);
        if (i !== -1) this.#waiters.splice(i, 1);
        reject(signal!.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiters.push(waiter);
    });
    return this.#releaser();
  }

  #grant(): void {
    while (this.#held < this.#permits && this.#waiters.length > 0) {
      this.#held += 1;
      this.#waiters.shift()!.grant();
    }
  }

  #releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#held -= 1;
      this.#grant();
    };
  }
}
