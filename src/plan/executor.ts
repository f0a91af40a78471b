import type { ParallelConfig } from '../config/parallel';
import { TeaError } from '../errors';
import { guardContext, type ExecutorContext } from '../executors/context';
import type { Flow, ParallelExecutor, ParallelFlowResult } from '../executors/types';
import { PlanHostKeys } from './host-keys';
import { runPlan } from './run-plan';

export interface GnuParallelExecutorOptions {
  /** Names the run's remote directories (`gp-<runId>-<fanout>`). */
  runId: string;
  /** The GNU Parallel program, as detected. */
  command: string;
}

/**
 * `gnu_parallel: run`: every fan-out of the run is one GNU Parallel invocation (run-plan.ts),
 * with the host keys pinned for the whole run. Chosen by the remote strategy
 * (src/executors/remote.ts) when GNU Parallel is installed; it shares no code path with the
 * ssh2 executor (src/remote/executor.ts) beyond the config and host checks.
 */
export class GnuParallelExecutor implements ParallelExecutor {
  readonly name = 'remote' as const;
  readonly #context: ExecutorContext;
  readonly #hostKeys: PlanHostKeys;
  #fanouts = 0;
  #closed = false;

  constructor(
    context: ExecutorContext,
    private readonly options: GnuParallelExecutorOptions,
  ) {
    this.#context = guardContext(context);
    this.#hostKeys = new PlanHostKeys(this.#context.logger);
  }

  async execute(flows: readonly Flow[], config: ParallelConfig, signal?: AbortSignal): Promise<ParallelFlowResult[]> {
    if (this.#closed) throw new TeaError('E_USAGE', 'remote executor is closed');
    const fanout = ++this.#fanouts;
    return runPlan({ flows, config, context: this.#context, runId: this.options.runId, fanout, signal, command: this.options.command, hostKeys: this.#hostKeys });
  }

  /** Each fan-out cleans up after itself (run-plan.ts): nothing is held between them. */
  async close(): Promise<void> {
    this.#closed = true;
  }
}
