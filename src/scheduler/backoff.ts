import type { RetryConfig } from '../config/parallel';

/**
 * Delay before retry number `retry` (1 = first retry): exponential, capped, with
 * jitter drawn below the exponential value so retries of a burst spread out
 * instead of hitting a recovering host together.
 */
export function backoffDelayMs(retry: number, policy: RetryConfig, random: () => number = Math.random): number {
  const exponential = policy.base_delay * policy.multiplier ** Math.max(0, retry - 1);
  const capped = Math.min(policy.max_delay, exponential);
  const jittered = capped * (1 - policy.jitter * random());
  return Math.round(jittered * 1000);
}
