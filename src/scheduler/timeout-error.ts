import { TeaError } from '../errors';

/**
 * The one E_TIMEOUT message for a branch attempt: which attempt of how many (a timeout
 * is retried), and the setting to raise, since a branch that legitimately runs longer
 * than timeout_seconds will time out on every attempt.
 */
export function branchTimeoutError(branch: string, target: string, seconds: number, attempt: number, maxAttempts: number): TeaError {
  return new TeaError(
    'E_TIMEOUT',
    `branch "${branch}" timed out after ${seconds}s on ${target} (attempt ${attempt} of ${maxAttempts}); ` +
      `if it needs longer, raise settings.parallel.timeout_seconds (now ${seconds})`,
    { host: target, flow: branch },
  );
}
