import { isTeaError, type ErrorCode } from '../errors';

export interface Classification {
  code: ErrorCode | string;
  /** Retried: always, only when `retry.retry_on_failure` is set, or never. */
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

const TABLE: Partial<Record<ErrorCode, Omit<Classification, 'code'>>> = {
  E_CONNECT_FAILED: { retry: 'always', transport: true, disablesTarget: false, notStarted: false },
  E_CONNECT_TIMEOUT: { retry: 'always', transport: true, disablesTarget: false, notStarted: false },
  E_CONNECTION_LOST: { retry: 'always', transport: true, disablesTarget: false, notStarted: false },
  E_TIMEOUT: { retry: 'always', transport: true, disablesTarget: false, notStarted: false },
  E_STAGING_FAILED: { retry: 'always', transport: false, disablesTarget: false, notStarted: false },
  // Transport-side: the host could not give a channel or a working SFTP session; charged to the host.
  E_CHANNEL_UNAVAILABLE: { retry: 'always', transport: true, disablesTarget: false, notStarted: false },
  E_TRANSFER_FAILED: { retry: 'always', transport: true, disablesTarget: false, notStarted: false },
  E_AUTH_FAILED: { retry: 'never', transport: false, disablesTarget: true, notStarted: true },
  E_HOST_KEY_REJECTED: { retry: 'never', transport: false, disablesTarget: true, notStarted: true },
  E_HOST_UNUSABLE: { retry: 'never', transport: false, disablesTarget: true, notStarted: true },
  E_CIRCUIT_OPEN: { retry: 'never', transport: false, disablesTarget: false, notStarted: true },
  E_REMOTE_EXIT: { retry: 'if-configured', transport: false, disablesTarget: false, notStarted: false },
  E_NODE_FAILED: { retry: 'if-configured', transport: false, disablesTarget: false, notStarted: false },
  E_BRANCH_FAILED: { retry: 'if-configured', transport: false, disablesTarget: false, notStarted: false },
  E_RESULT_MISSING: { retry: 'never', transport: false, disablesTarget: false, notStarted: false },
  E_RESULT_INVALID: { retry: 'never', transport: false, disablesTarget: false, notStarted: false },
  E_CANCELLED: { retry: 'never', transport: false, disablesTarget: false, notStarted: false },
};

/** How the scheduler treats a failed attempt; unknown errors are the branch's own failure. */
export function classify(error: unknown): Classification {
  if (isTeaError(error)) {
    const row = TABLE[error.code] ?? { retry: 'if-configured', transport: false, disablesTarget: false, notStarted: false };
    return { code: error.code, ...row };
  }
  return { code: 'E_BRANCH_FAILED', retry: 'if-configured', transport: false, disablesTarget: false, notStarted: false };
}
