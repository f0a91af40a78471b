import { TeaError } from '../errors';
import type { ExecutorContext } from '../executors/context';
import type { ParallelExecutor } from '../executors/types';

// Placeholder until the remote core lands (issue 4): same signature as the real one.
export function createRemoteExecutor(_context: ExecutorContext): ParallelExecutor {
  throw new TeaError('E_CONFIG_INVALID', 'strategy "remote" is not available in this build');
}
