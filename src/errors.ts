/**
 * One error hierarchy for the whole project. Every error has a stable `code`
 * (see docs/errors.md), and the host / flow it concerns when there is one, so a
 * flow result and a thrown error carry the same facts.
 */
export type ErrorCode =
  // usage and input (CLI exit code 2)
  | 'E_USAGE'
  | 'E_WORKFLOW_INVALID'
  | 'E_CONFIG_INVALID'
  | 'E_INPUT_INVALID'
  | 'E_SCOPE_INVALID'
  // a node or branch failed (CLI exit code 1)
  | 'E_NODE_FAILED'
  | 'E_BRANCH_FAILED'
  | 'E_TIMEOUT'
  | 'E_CANCELLED'
  | 'E_CIRCUIT_OPEN'
  // the branch's tea run refused its invocation (exit 2: workflow, input or scope rejected)
  | 'E_BRANCH_REJECTED'
  // the state handed to branches is not JSON (BigInt, cycle, function...)
  | 'E_STATE_INVALID'
  // remote transport
  | 'E_AUTH_FAILED'
  | 'E_HOST_KEY_REJECTED'
  | 'E_CONNECT_FAILED'
  | 'E_CONNECT_TIMEOUT'
  | 'E_CONNECTION_LOST'
  | 'E_CHANNEL_UNAVAILABLE'
  // an SFTP channel could not be opened, stalled or broke: the host's failure, the channel is replaced
  | 'E_TRANSFER_FAILED'
  | 'E_STAGING_FAILED'
  | 'E_REMOTE_EXIT'
  | 'E_RESULT_MISSING'
  | 'E_RESULT_INVALID'
  | 'E_HOST_UNUSABLE'
  | 'E_NO_HEALTHY_HOST'
  // GNU Parallel plan mode: GNU Parallel itself failed (bad option, missing rsync/perl) and never ran a branch
  | 'E_GNU_PARALLEL_FAILED';

export interface ErrorContext {
  host?: string;
  flow?: string;
  exitCode?: number | null;
  signal?: string | null;
  stderrTail?: string;
  cause?: unknown;
}

export class TeaError extends Error {
  readonly code: ErrorCode;
  readonly host?: string | undefined;
  readonly flow?: string | undefined;
  readonly exitCode?: number | null | undefined;
  readonly signal?: string | null | undefined;
  readonly stderrTail?: string | undefined;

  constructor(code: ErrorCode, message: string, context: ErrorContext = {}) {
    super(message, context.cause === undefined ? undefined : { cause: context.cause });
    this.name = 'TeaError';
    this.code = code;
    this.host = context.host;
    this.flow = context.flow;
    this.exitCode = context.exitCode;
    this.signal = context.signal;
    this.stderrTail = context.stderrTail;
  }
}

/** Codes a user causes by what they wrote or typed: the CLI exits 2 for these. */
export const USAGE_CODES: ReadonlySet<ErrorCode> = new Set([
  'E_USAGE',
  'E_WORKFLOW_INVALID',
  'E_CONFIG_INVALID',
  'E_INPUT_INVALID',
  'E_SCOPE_INVALID',
]);

export function isTeaError(value: unknown): value is TeaError {
  return value instanceof TeaError;
}

export function errorMessage(value: unknown): string {
  return value instanceof Error ? value.message : String(value);
}
