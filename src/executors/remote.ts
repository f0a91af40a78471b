import type { ParallelConfig } from '../config/parallel';
import { TeaError } from '../errors';
import { newRunId } from '../util/run-id';
import { guardContext, type ExecutorContext } from './context';
import type { Flow, ParallelExecutor, ParallelFlowResult } from './types';

/**
 * strategy "remote": decides once, on its first fan-out, how the run's fan-outs reach the
 * hosts (`settings.parallel.remote.gnu_parallel`, src/plan/remote-method.ts), then hands every
 * fan-out to that executor: the pure-Node ssh2 one (src/remote/executor.ts) or GNU Parallel
 * (src/plan/executor.ts). Neither imports the other; each is loaded only when chosen.
 */
export class RemoteStrategyExecutor implements ParallelExecutor {
  readonly name = 'remote' as const;
  readonly runId = newRunId();
  readonly #context: ExecutorContext;
  #chosen: Promise<ParallelExecutor> | null = null;
  #fanouts = 0;
  #closed = false;

  constructor(context: ExecutorContext) {
    this.#context = guardContext(context);
  }

  async execute(flows: readonly Flow[], config: ParallelConfig, signal?: AbortSignal): Promise<ParallelFlowResult[]> {
    if (this.#closed) throw new TeaError('E_USAGE', 'remote executor is closed');
    const executor = await (this.#chosen ??= this.#choose(config));
    return executor.execute(flows, config, signal);
  }

  async #choose(config: ParallelConfig): Promise<ParallelExecutor> {
    const { chooseRemoteMethod, logPlan } = await import('../plan/remote-method');
    const method = await chooseRemoteMethod(config.remote, this.#context);
    if (method.method === 'gnu-parallel') {
      const { GnuParallelExecutor } = await import('../plan/executor');
      return new GnuParallelExecutor(this.#context, { runId: this.runId, command: method.command });
    }
    const { RemoteExecutor } = await import('../remote/executor');
    const ssh2 = new RemoteExecutor(this.#context, { runId: this.runId });
    if (!method.logPlan) return ssh2;
    // gnu_parallel: plan — each fan-out also logs the GNU Parallel command that would run it.
    return {
      name: 'remote',
      execute: (flows, fanoutConfig, signal) => {
        const fanout = ++this.#fanouts;
        if (fanoutConfig.remote !== undefined) logPlan(flows, fanoutConfig, this.runId, fanout, this.#context);
        return ssh2.execute(flows, fanoutConfig, signal);
      },
      close: () => ssh2.close(),
    };
  }

  /** Closes the chosen executor (nothing when none was chosen, or choosing failed: execute reported that). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const executor = await this.#chosen?.catch(() => undefined);
    await executor?.close?.();
  }
}

export function createRemoteExecutor(context: ExecutorContext): ParallelExecutor {
  return new RemoteStrategyExecutor(context);
}
