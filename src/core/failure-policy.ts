import { TeaError, isTeaError, type ErrorCode } from '../errors';

/**
 * The failure policy: how every strategy (thread, process, remote over ssh2, GNU
 * Parallel) treats a failed attempt. The one table; docs/errors.md and the table in
 * docs/decisions.md describe it.
 *
 * The rule behind the `transport` column: a host is charged only for what the host
 * did (could not connect, lost the connection, keepalives unanswered). A branch that
 * runs past `timeout_seconds` on a host that still answers is the branch's failure:
 * it is retried up to `retry.max_retries`, never counted against the host. A host
 * that stops answering while a branch runs shows up as E_CONNECTION_LOST
 * (keepalive), which is charged.
 */
export interface Classification {
  code: ErrorCode | string;
  /** Retried (up to retry.max_retries): always, only when `retry.retry_on_failure` is set, or never. */
  retry: 'always' | 'if-configured' | 'never';
  /** Counts against the target's circuit breaker (transport failures only). */
  transport: boolean;
  /** The target cannot serve any flow of this run (bad key, changed host key, failed preflight). */
  disablesTarget: boolean;
  /**
   * The flow never started on the target (it could not even connect or was refused
   * by a breaker): it moves to another target without using up a retry.
   */
  notStarted: boolean;
}

type Row = Omit<Classification, 'code'>;
const row = (retry: Row['retry'], transport = false, disablesTarget = false, notStarted = false): Row => ({ retry, transport, disablesTarget, notStarted });

export const FAILURE_POLICY: Readonly<Partial<Record<ErrorCode, Row>>> = {
  E_CONNECT_FAILED: row('always', true),
  E_CONNECT_TIMEOUT: row('always', true),
  E_CONNECTION_LOST: row('always', true),
  // The branch's own: retried per settings, never charged to a host that still answers.
  E_TIMEOUT: row('always'),
  E_STAGING_FAILED: row('always'),
  // Transport-side: the host could not give a channel or a working SFTP session; charged to the host.
  E_CHANNEL_UNAVAILABLE: row('always', true),
  E_TRANSFER_FAILED: row('always', true),
  E_AUTH_FAILED: row('never', false, true, true),
  E_HOST_KEY_REJECTED: row('never', false, true, true),
  E_HOST_UNUSABLE: row('never', false, true, true),
  E_CIRCUIT_OPEN: row('never', false, false, true),
  E_REMOTE_EXIT: row('if-configured'),
  E_NODE_FAILED: row('if-configured'),
  E_BRANCH_FAILED: row('if-configured'),
  E_BRANCH_REJECTED: row('never'),
  E_STATE_INVALID: row('never'),
  E_RESULT_MISSING: row('never'),
  E_RESULT_INVALID: row('never'),
  E_CANCELLED: row('never'),
};

const BRANCH_OWN = row('if-configured');

/** How the scheduler treats a failed attempt; unknown errors are the branch's own failure. */
export function classify(error: unknown): Classification {
  if (isTeaError(error)) return { code: error.code, ...(FAILURE_POLICY[error.code] ?? BRANCH_OWN) };
  return { code: 'E_BRANCH_FAILED', ...BRANCH_OWN };
}

/** Whether a failure counts against the target's breaker. */
export function chargesTarget(error: unknown): boolean {
  return classify(error).transport;
}

/**
 * Failures that say nothing about the host's health: neither charged to it nor taken
 * as proof that it answers (a timed-out branch, a cancelled or refused attempt).
 */
export function isHostNeutral(error: unknown): boolean {
  return isTeaError(error) && (error.code === 'E_TIMEOUT' || error.code === 'E_CANCELLED' || error.code === 'E_CIRCUIT_OPEN');
}

/**
 * The error a branch ends with when its last attempt timed out: how many attempts
 * ran, where the last one was, and the setting to raise.
 */
export function timeoutError(branch: string, timeoutSeconds: number, attempts: number, host: string | undefined, cause?: unknown): TeaError {
  const on = host === undefined || host === 'local' ? '' : ` (last on ${host})`;
  const tries = attempts === 1 ? '1 attempt' : `each of ${attempts} attempts`;
  return new TeaError(
    'E_TIMEOUT',
    `branch "${branch}" timed out after ${timeoutSeconds}s on ${tries}${on}: raise settings.parallel.timeout_seconds if it needs longer, or find why it hangs`,
    { flow: branch, ...(host === undefined ? {} : { host }), ...(cause === undefined ? {} : { cause }) },
  );
}
