import type { ParallelConfig } from '../config/parallel';
import type { EventSink } from '../events';
import type { Logger } from '../log';
import type { Flow, State } from '../executors/types';

/** Somewhere flows run: "local" for thread/process, one per host for remote. */
export interface Target {
  /** Stable name used in results, events and breaker keys, e.g. `tea@10.0.0.5:22`. */
  readonly id: string;
  /** Attempts this target runs at once. */
  readonly slots: number;
}

export interface AttemptContext {
  readonly flow: Flow;
  /** Position of the flow in the input; results come back in this order. */
  readonly index: number;
  /** The branch name (the flow's entry point). */
  readonly branch: string;
  readonly target: Target;
  /** 1 for the first try. */
  readonly attempt: number;
  /** Aborted when this attempt times out or the run is cancelled: end the work and settle. */
  readonly signal: AbortSignal;
}

/**
 * Runs one attempt of one flow on one target and resolves with the branch's final
 * state. On failure it rejects, preferably with a TeaError whose code classifies it.
 */
export type AttemptFn = (context: AttemptContext) => Promise<State>;

export interface RunFlowsOptions {
  flows: readonly Flow[];
  targets: readonly Target[];
  attempt: AttemptFn;
  config: ParallelConfig;
  signal?: AbortSignal | undefined;
  events?: EventSink;
  logger?: Logger;
  /** Milliseconds to wait, after aborting a timed-out attempt, for it to settle before moving on. */
  abortGraceMs?: number;
}
