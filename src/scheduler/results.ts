import { errorMessage, isTeaError } from '../errors';
import type { Attempt, Flow, ParallelFlowResult, State } from '../executors/types';

export function successResult(flow: Flow, state: State, attempts: Attempt[], timingMs: number, host?: string): ParallelFlowResult {
  return {
    branch: flow.entryPoint,
    success: true,
    state,
    error: null,
    error_type: null,
    timeout: false,
    timing_ms: timingMs,
    retry_count: Math.max(0, attempts.length - 1),
    ...(host === undefined ? {} : { host }),
    attempts,
  };
}

export function failureResult(
  flow: Flow,
  error: unknown,
  code: string,
  attempts: Attempt[],
  timingMs: number,
  host?: string,
): ParallelFlowResult {
  const tea = isTeaError(error) ? error : undefined;
  return {
    branch: flow.entryPoint,
    success: false,
    state: null,
    error: errorMessage(error),
    error_type: code,
    timeout: code === 'E_TIMEOUT',
    timing_ms: timingMs,
    retry_count: Math.max(0, attempts.length - 1),
    ...(host === undefined ? {} : { host }),
    attempts,
    ...(tea?.exitCode === undefined ? {} : { exit_code: tea.exitCode }),
    ...(tea?.stderrTail === undefined ? {} : { stderr_tail: tea.stderrTail }),
  };
}
