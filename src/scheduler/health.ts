import CircuitBreaker from 'opossum';
import type { CircuitBreakerConfig } from '../config/parallel';
import type { EventSink } from '../events';
import { chargesTarget, isHostNeutral } from '../core/failure-policy';
import { TeaError, errorMessage } from '../errors';
import { silentLogger, type Logger } from '../log';

/**
 * The health of each target: an opossum circuit breaker per target, plus targets
 * excluded for the rest of the run (bad key, changed host key, failed preflight).
 *
 * Opossum's own trip rule is a failure percentage; ours is "`failure_threshold`
 * transport failures within `window` seconds, with no success from the host in
 * between", which is what an operator reads as "the host is down". So opossum's
 * percentage rule is disabled and we open the breaker ourselves; opossum still owns
 * the open -> half-open (one probe) -> closed cycle, the timers and the events.
 * What counts as a transport failure is the failure policy's (core/failure-policy.ts).
 */
/** An exclusion reason without its leading `<target>: `: the lines that show it name the target already. */
function reasonText(target: string, reason: unknown): string {
  const message = errorMessage(reason);
  return message.startsWith(`${target}: `) ? message.slice(target.length + 2) : message;
}

export class TargetHealth {
  readonly #breakers = new Map<string, CircuitBreaker>();
  /** Times (ms) of the target's transport failures since its last success, within the window. */
  readonly #failures = new Map<string, number[]>();
  readonly #lastFailure = new Map<string, string>();
  readonly #excluded = new Map<string, unknown>();
  readonly #listeners = new Set<() => void>();

  /**
   * @param countsAgainst whether a failure is the target's fault (transport); other
   *   failures pass through without counting and, in half-open, prove the host alive.
   * @param now the clock of the rolling window (tests).
   */
  constructor(
    private readonly config: CircuitBreakerConfig,
    private readonly events: EventSink = () => {},
    private readonly logger: Logger = silentLogger,
    private readonly countsAgainst: (error: unknown) => boolean = chargesTarget,
    private readonly now: () => number = Date.now,
  ) {}

  /** Calls `listener` whenever a target may have become available again. */
  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Takes a target out of this run for good; logged once, with the reason. */
  exclude(target: string, reason: unknown): void {
    if (this.#excluded.has(target)) return;
    this.#excluded.set(target, reason);
    const message = reasonText(target, reason);
    this.logger.warn(`${target}: excluded from this run: ${message}`);
    this.events({ type: 'host:excluded', host: target, reason: message });
  }

  /**
   * The error for flows left when no target can take them. When every target was
   * excluded for the same kind of reason (say, a refused key), that reason's code
   * and message are kept, so the user sees the fix, not just "no host".
   */
  noneLeftError(targets: readonly string[]): TeaError {
    if (targets.length === 0) return new TeaError('E_NO_HEALTHY_HOST', 'no hosts configured');
    const reasons = targets.map((t) => this.#excluded.get(t));
    const codes = new Set(reasons.map((r) => (r instanceof TeaError ? r.code : null)));
    const [only] = [...codes];
    if (codes.size === 1 && only != null && only !== 'E_HOST_UNUSABLE') {
      return new TeaError(only, reasons.map((r) => errorMessage(r)).join('; '), {
        ...(targets.length === 1 ? { host: targets[0] } : {}),
        cause: reasons[0],
      });
    }
    const why = targets.map((t) => `${t}: ${this.unavailableReason(t) ?? 'unavailable'}`).join('; ');
    return new TeaError('E_NO_HEALTHY_HOST', `no healthy host left (${why})`);
  }

  /** Why a target takes no flows now, or null when it does. */
  unavailableReason(target: string): string | null {
    if (this.#excluded.has(target)) return `excluded: ${reasonText(target, this.#excluded.get(target))}`;
    const breaker = this.#breakers.get(target);
    if (breaker === undefined || breaker.closed) return null;
    if (breaker.halfOpen && breaker.pendingClose) return null; // one probe may go
    const last = this.#lastFailure.get(target);
    const state = breaker.halfOpen ? 'circuit half-open, probe in flight' : 'circuit open';
    return last === undefined ? state : `${state}, last failure: ${last}`;
  }

  /** True when the target can never take a flow again without waiting for a reset timer. */
  isExcluded(target: string): boolean {
    return this.#excluded.has(target);
  }

  isOpen(target: string): boolean {
    const breaker = this.#breakers.get(target);
    return breaker !== undefined && breaker.opened;
  }

  /** Runs `work` through the target's breaker. */
  async run<T>(target: string, work: () => Promise<T>): Promise<T> {
    if (!this.config.enabled) return work();
    const breaker = this.#breaker(target);
    try {
      const value = (await breaker.fire(work)) as T;
      this.#failures.delete(target);
      return value;
    } catch (error) {
      if ((error as { code?: string }).code === 'EOPENBREAKER') {
        throw new TeaError('E_CIRCUIT_OPEN', `${target}: circuit open`, { host: target, cause: error });
      }
      if (this.countsAgainst(error)) this.#recordTransportFailure(target, breaker, error);
      else if (!isHostNeutral(error)) this.#failures.delete(target);
      throw error;
    }
  }

  /** Counts a transport failure; opens the breaker at `failure_threshold` within `window` seconds. */
  #recordTransportFailure(target: string, breaker: CircuitBreaker, error: unknown): void {
    this.#lastFailure.set(target, errorMessage(error));
    const now = this.now();
    const since = now - this.config.window * 1000;
    const recent = (this.#failures.get(target) ?? []).filter((t) => t > since);
    recent.push(now);
    this.#failures.set(target, recent);
    if (recent.length >= this.config.failure_threshold && breaker.closed) breaker.open();
  }

  /** Stops the breakers' timers. */
  shutdown(): void {
    for (const breaker of this.#breakers.values()) breaker.shutdown();
    this.#breakers.clear();
    this.#listeners.clear();
  }

  #breaker(target: string): CircuitBreaker {
    let breaker = this.#breakers.get(target);
    if (breaker !== undefined) return breaker;
    breaker = new CircuitBreaker((work: () => Promise<unknown>) => work(), {
      timeout: false, // attempts have their own timeout, which also ends the remote work
      resetTimeout: Math.max(1, this.config.reset_timeout * 1000),
      rollingCountTimeout: this.config.window * 1000,
      errorThresholdPercentage: 100, // never trips by itself: see the class comment
      volumeThreshold: Number.MAX_SAFE_INTEGER,
      errorFilter: (error: unknown) => !this.countsAgainst(error),
    });
    breaker.on('open', () => {
      this.logger.warn(`${target}: circuit open after ${this.config.failure_threshold} transport failures within ${this.config.window}s; no new flows for ${this.config.reset_timeout}s`);
      this.events({ type: 'breaker:open', target });
    });
    breaker.on('halfOpen', () => {
      this.logger.info(`${target}: circuit half-open, sending one probe`);
      this.events({ type: 'breaker:half-open', target });
      this.#notify();
    });
    breaker.on('close', () => {
      this.logger.info(`${target}: circuit closed, host healthy again`);
      this.events({ type: 'breaker:closed', target });
      this.#notify();
    });
    this.#breakers.set(target, breaker);
    return breaker;
  }

  #notify(): void {
    for (const listener of this.#listeners) listener();
  }
}
