import type { Strategy } from '../config/parallel';
import { guardContext, type ExecutorContext } from './context';
import { lazyExecutor } from './lazy';
import type { ProcessExecutorOptions } from './process';
import { createThreadExecutor, type BranchRunner } from './thread';
import type { ParallelExecutor } from './types';

/** Set (to "1") by the remote executor in the environment of every remote `tea run`. */
export const REMOTE_BRANCH_ENV = 'TEA_REMOTE_BRANCH';

/** What any executor may need; each strategy takes the parts it uses. */
export interface ExecutorDeps {
  readonly context: ExecutorContext;
  /** Runs one branch in this process (the thread strategy). */
  readonly runBranch: BranchRunner;
  readonly process?: ProcessExecutorOptions;
}

export type ExecutorFactory = (strategy: Strategy, deps: ExecutorDeps) => ParallelExecutor;

/** The one place a strategy name becomes an executor. */
export const createExecutor: ExecutorFactory = (strategy, given) => {
  const deps = { ...given, context: guardContext(given.context) };
  switch (strategy) {
    case 'thread':
      return createThreadExecutor(deps.context, deps.runBranch);
    case 'process':
      return lazyExecutor('process', async () => (await import('./process')).createProcessExecutor(deps.context, deps.process));
    case 'remote':
      // A branch already running on a remote host does not fan out over SSH again:
      // the host runs its nested fan-outs in-process (see REMOTE_BRANCH_ENV).
      if (process.env[REMOTE_BRANCH_ENV] === '1') {
        deps.context.logger.info('nested remote fan-out inside a remote branch: running it with strategy "thread" on this host');
        return createThreadExecutor(deps.context, deps.runBranch);
      }
      // ssh2 or GNU Parallel (gnu_parallel), each loaded only when chosen.
      return lazyExecutor('remote', async () => (await import('./remote')).createRemoteExecutor(deps.context));
  }
};
