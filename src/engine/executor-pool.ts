import type { Strategy } from '../config/parallel';
import { errorMessage } from '../errors';
import { createExecutor, type ExecutorDeps, type ExecutorFactory } from '../executors/registry';
import type { ParallelExecutor } from '../executors/types';

/** The executors of one run: made on first use of a strategy, all closed when the run ends. */
export class ExecutorPool {
  readonly #executors = new Map<Strategy, ParallelExecutor>();

  constructor(
    private readonly deps: ExecutorDeps,
    private readonly factory: ExecutorFactory = createExecutor,
  ) {}

  get(strategy: Strategy): ParallelExecutor {
    let executor = this.#executors.get(strategy);
    if (executor === undefined) {
      executor = this.factory(strategy, this.deps);
      this.#executors.set(strategy, executor);
      if (strategy !== 'remote') this.deps.context.events({ type: 'method', method: strategy, reason: `parallel strategy "${strategy}"` });
    }
    return executor;
  }

  /** Closes every executor, even when one fails to close; failures are logged, not thrown. */
  async close(): Promise<void> {
    const executors = [...this.#executors.values()];
    this.#executors.clear();
    const closed = await Promise.allSettled(executors.map((e) => e.close?.()));
    closed.forEach((outcome, i) => {
      if (outcome.status === 'rejected') this.deps.context.logger.warn(`closing the ${executors[i]!.name} executor failed: ${errorMessage(outcome.reason)}`);
    });
  }
}
