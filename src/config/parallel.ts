import { z } from 'zod';
import { TeaError } from '../errors';
import { formatIssues } from './format-issues';
import { remoteConfigSchema } from './remote';

export const strategySchema = z.enum(['thread', 'process', 'remote']);
export type Strategy = z.infer<typeof strategySchema>;

export const retrySchema = z.strictObject({
  /** Retries after the first attempt; 0 disables retrying. */
  max_retries: z.number().int().min(0).max(100).default(2),
  /** Delay before the first retry, seconds. */
  base_delay: z.number().min(0).default(0.5),
  /** Upper bound of any delay, seconds. */
  max_delay: z.number().min(0).default(30),
  multiplier: z.number().min(1).default(2),
  /** Full jitter: each delay is drawn from [delay*(1-jitter), delay]. 0..1 */
  jitter: z.number().min(0).max(1).default(0.5),
  /** Retry a branch whose own code failed (remote: non-zero exit). Transport failures are always retried. */
  retry_on_failure: z.boolean().default(false),
});
export type RetryConfig = z.infer<typeof retrySchema>;

export const circuitBreakerSchema = z.strictObject({
  enabled: z.boolean().default(true),
  /** Transport failures in the rolling window that open a host's breaker. */
  failure_threshold: z.number().int().min(1).default(3),
  /** Seconds an open breaker waits before letting one probe through (half-open). */
  reset_timeout: z.number().min(0).default(30),
  /** Rolling window for counting failures, seconds. */
  window: z.number().min(1).default(60),
});
export type CircuitBreakerConfig = z.infer<typeof circuitBreakerSchema>;

export const parallelConfigSchema = z.strictObject({
  strategy: strategySchema.default('thread'),
  /** Concurrent branches for thread/process; remote uses host slots instead. */
  max_workers: z.number().int().min(1).max(1024).default(8),
  /** Bound on each attempt of a branch, end to end, seconds. Unset: no bound. */
  timeout_seconds: z.number().positive().optional(),
  /** Stop dispatching new branches after the first failure; undispatched ones end as cancelled. */
  fail_fast: z.boolean().default(false),
  /** Let the fan-in node see failed branches instead of failing the run. */
  collect_failures: z.boolean().default(false),
  retry: retrySchema.default(retrySchema.parse({})),
  circuit_breaker: circuitBreakerSchema.default(circuitBreakerSchema.parse({})),
  remote: remoteConfigSchema.optional(),
});
export type ParallelConfig = z.infer<typeof parallelConfigSchema>;

/** Parses `settings.parallel` once, at the edge; inner code trusts the result. */
export function parseParallelConfig(raw: unknown, prefix = 'settings.parallel'): ParallelConfig {
  const parsed = parallelConfigSchema.safeParse(raw ?? {});
  if (!parsed.success) throw new TeaError('E_CONFIG_INVALID', formatIssues(prefix, parsed.error));
  return Object.freeze(parsed.data);
}
