import type { ExecutorContext } from './context';
import { LocalFlows } from './local';
import type { Flow, ParallelExecutor, State } from './types';

/** Runs one branch to its exit point in this process; the engine provides it. */
export type BranchRunner = (flow: Flow, signal: AbortSignal) => Promise<State>;

/**
 * The `thread` strategy: branches run concurrently in this process, as async tasks
 * on Node's event loop (at most `max_workers` at once). Branches that compute
 * without awaiting take turns between nodes; CPU-heavy branches belong on
 * `process` or `remote`.
 */
export function createThreadExecutor(context: Pick<ExecutorContext, 'events' | 'logger'>, runBranch: BranchRunner): ParallelExecutor {
  // Each attempt starts from its own copy: a node that mutates `state` must not
  // leak into the retry of the same branch.
  const local = new LocalFlows(context, ({ flow, signal }) => runBranch({ ...flow, state: structuredClone(flow.state) }, signal));
  return {
    name: 'thread',
    execute: (flows, config, signal) => local.run(flows, config, signal),
    close: async () => local.close(),
  };
}
