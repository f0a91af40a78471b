import { errorMessage, isTeaError, type ErrorCode } from '../errors';
import type { Attempt, Flow, ParallelFlowResult, State } from '../executors/types';

/**
 * The domain model of how a flow ran, shared by every strategy (thread, process, remote over
 * ssh2, GNU Parallel): what was tried (attempts) and how it ended (outcome), in the code's own
 * terms. `toParallelResult` is the ONE mapping to the snake_case `parallel_results` view the
 * fan-in node, `--json` and the events see; nothing else builds that view.
 */

/** One try of a flow, on one host (remote) or locally. */
export interface AttemptRecord {
  host?: string;
  /** Epoch milliseconds. */
  startedAt: number;
  durationMs: number;
  /** Absent: the try succeeded. */
  failure?: { code: ErrorCode; error: unknown };
}

/** How a flow ended: its state, or the error and the code it was classified as. */
export type FlowOutcome = {
  flow: Flow;
  attempts: readonly AttemptRecord[];
  /** From the first try's start to the end (0 when it never started). */
  timingMs: number;
  /** Reported when the strategy reports hosts. */
  host?: string | undefined;
} & ({ ok: true; state: State } | { ok: false; error: unknown; code: string });

function attemptView(a: AttemptRecord): Attempt {
  const tea = a.failure !== undefined && isTeaError(a.failure.error) ? a.failure.error : undefined;
  return {
    ...(a.host === undefined ? {} : { host: a.host }),
    started_at: new Date(a.startedAt).toISOString(),
    duration_ms: a.durationMs,
    ok: a.failure === undefined,
    ...(a.failure === undefined ? {} : { error_code: a.failure.code, error: errorMessage(a.failure.error) }),
    ...(tea?.exitCode === undefined ? {} : { exit_code: tea.exitCode }),
    ...(tea?.signal === undefined || tea.signal === null ? {} : { signal: tea.signal }),
  };
}

/** The flow's entry in `parallel_results`. */
export function toParallelResult(outcome: FlowOutcome): ParallelFlowResult {
  // Key order is the view's (the JSON readers see): branch, success, state, error, ...
  const rest = {
    timing_ms: outcome.timingMs,
    retry_count: Math.max(0, outcome.attempts.length - 1),
    ...(outcome.host === undefined ? {} : { host: outcome.host }),
    attempts: outcome.attempts.map(attemptView),
  };
  const branch = outcome.flow.entryPoint;
  if (outcome.ok) return { branch, success: true, state: outcome.state, error: null, error_type: null, timeout: false, ...rest };
  const tea = isTeaError(outcome.error) ? outcome.error : undefined;
  return {
    branch,
    success: false,
    state: null,
    error: errorMessage(outcome.error),
    error_type: outcome.code,
    timeout: outcome.code === 'E_TIMEOUT',
    ...rest,
    ...(tea?.exitCode === undefined ? {} : { exit_code: tea.exitCode }),
    ...(tea?.stderrTail === undefined ? {} : { stderr_tail: tea.stderrTail }),
  };
}
