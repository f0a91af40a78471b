import type { ParallelConfig } from '../config/parallel';
import type { ErrorCode } from '../errors';

export type State = Record<string, unknown>;

/** One branch of a fan-out: run from `entryPoint` up to (not including) `exitPoint`. */
export interface Flow {
  entryPoint: string;
  exitPoint: string;
  state: State;
}

/** One try of a flow, on one host (remote) or locally. */
export interface Attempt {
  host?: string;
  started_at: string;
  duration_ms: number;
  ok: boolean;
  error_code?: ErrorCode;
  error?: string;
  exit_code?: number | null;
  /** The signal that ended the remote process, when one did. */
  signal?: string | null;
}

/**
 * The result of one flow. Exactly one per flow, in input order; a flow's own
 * failure is a result with `success: false`, never a thrown error.
 */
export interface ParallelFlowResult {
  branch: string;
  success: boolean;
  state: State | null;
  error: string | null;
  /** The TeaError code when the failure was classified, else the JS error name. */
  error_type: string | null;
  timeout: boolean;
  timing_ms: number;
  retry_count: number;
  host?: string;
  attempts?: Attempt[];
  exit_code?: number | null;
  stderr_tail?: string;
}

export interface ParallelExecutor {
  readonly name: 'thread' | 'process' | 'remote';
  execute(flows: readonly Flow[], config: ParallelConfig, signal?: AbortSignal): Promise<ParallelFlowResult[]>;
  /** Releases connections, timers, child processes. Safe to call twice. */
  close?(): Promise<void>;
}
