import type { ParallelConfig } from '../config/parallel';
import { TargetHealth } from '../scheduler/health';
import { runFlows } from '../scheduler/run-flows';
import type { AttemptFn, Target } from '../scheduler/types';
import type { ExecutorContext } from './context';
import type { Flow, ParallelFlowResult } from './types';

/** The one target of the thread and process strategies: this machine. */
export const LOCAL_TARGET = 'local';

/**
 * What thread and process executors share: one target, `local`, with `max_workers`
 * slots, and the scheduler for timeouts, retries, the breaker and cancellation.
 * Each `execute` call gets its own slots, so a branch that fans out again (nested
 * fan-out) never waits for slots its parent holds; the breaker lives as long as
 * the executor.
 */
export class LocalFlows {
  #health: TargetHealth | undefined;

  constructor(
    private readonly context: Pick<ExecutorContext, 'events' | 'logger'>,
    private readonly attempt: AttemptFn,
  ) {}

  run(flows: readonly Flow[], config: ParallelConfig, signal?: AbortSignal): Promise<ParallelFlowResult[]> {
    const { events, logger } = this.context;
    this.#health ??= new TargetHealth(config.circuit_breaker, events, logger);
    const targets: Target[] = [{ id: LOCAL_TARGET, slots: config.max_workers }];
    return runFlows({ flows, targets, config, attempt: this.attempt, events, logger, health: this.#health, ...(signal ? { signal } : {}) });
  }

  close(): void {
    this.#health?.shutdown();
    this.#health = undefined;
  }
}
