/**
 * The warm runner's standby workers (docs/decisions.md "Warm runner"): workers started, with
 * the program compiled and its top level evaluated, before a branch arrives, so a branch
 * does not wait for a worker's start. A standby serves exactly one branch and is then thrown
 * away (isolation is that of a fresh worker per branch); `take()` starts its replacement at
 * once, while the taken one runs, when the target still asks for it.
 *
 * Bounded: at most `target` idle standbys (set by the client from the branches it still has
 * for this host, at most its slots; clamped to `max`), so the runner holds at most slots
 * running workers plus as many standbys. A standby that ends before it got a branch (the
 * program failed to load, out of memory) stops the pool for good: branches then start their
 * own workers as before, rather than the runner starting broken workers in a loop.
 */

export interface Standby {
  /** Ends the standby (worker.terminate()); it never gets a branch. */
  end(): void;
}

export class StandbyPool<T extends Standby> {
  readonly #idle: T[] = [];
  #target = 0;
  #closed = false;
  #broken = false;
  /** Standbys started so far (tests, figures). */
  started = 0;

  constructor(
    private readonly make: () => T,
    private readonly max: number,
  ) {}

  get idle(): number {
    return this.#idle.length;
  }

  get target(): number {
    return this.#target;
  }

  /** False once a standby ended without a branch (then none is started any more). */
  get usable(): boolean {
    return !this.#broken && !this.#closed;
  }

  /** Sets how many idle standbys to keep: starts the missing ones, ends the extra ones. */
  setTarget(n: number): void {
    this.#target = Math.max(0, Math.min(this.max, Math.floor(n)));
    this.#adjust();
  }

  /**
   * An idle standby for one branch (removed from the pool for good), or null when there is
   * none; then the pool is brought to `target` (unchanged when not given), replacing the one taken.
   */
  take(target?: number): T | null {
    const standby = this.#idle.shift() ?? null;
    if (target === undefined) this.#adjust();
    else this.setTarget(target);
    return standby;
  }

  /** A standby ended on its own: when it was idle, it is dropped and the pool stops starting more. */
  ended(standby: T): void {
    const at = this.#idle.indexOf(standby);
    if (at < 0) return;
    this.#idle.splice(at, 1);
    this.#broken = true;
    this.#drain();
  }

  /** Ends every idle standby; none is started after this. */
  close(): void {
    this.#closed = true;
    this.#drain();
  }

  #adjust(): void {
    if (!this.usable) return;
    while (this.#idle.length > this.#target) this.#idle.pop()!.end();
    while (this.#idle.length < this.#target) {
      this.started += 1;
      this.#idle.push(this.make());
    }
  }

  #drain(): void {
    for (const standby of this.#idle.splice(0)) standby.end();
  }
}
