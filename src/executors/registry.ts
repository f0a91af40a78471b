import type { Strategy } from '../config/parallel';
import { createRemoteExecutor } from '../remote/executor';
import type { ExecutorContext } from './context';
import { createProcessExecutor, type ProcessExecutorOptions } from './process';
import { createThreadExecutor, type BranchRunner } from './thread';
import type { ParallelExecutor } from './types';

/** What any executor may need; each strategy takes the parts it uses. */
export interface ExecutorDeps {
  readonly context: ExecutorContext;
  /** Runs one branch in this process (the thread strategy). */
  readonly runBranch: BranchRunner;
  readonly process?: ProcessExecutorOptions;
}

export type ExecutorFactory = (strategy: Strategy, deps: ExecutorDeps) => ParallelExecutor;

/** The one place a strategy name becomes an executor. */
export const createExecutor: ExecutorFactory = (strategy, deps) => {
  switch (strategy) {
    case 'thread':
      return createThreadExecutor(deps.context, deps.runBranch);
    case 'process':
      return createProcessExecutor(deps.context, deps.process);
    case 'remote':
      return createRemoteExecutor(deps.context);
  }
};
