import { TeaError } from '../errors';
import type { ParallelFlowResult, State } from '../executors/types';
import type { CompiledNode } from '../workflow/types';
import { abortError } from './cancel';

/**
 * Runs one node and returns the next state: a returned object is merged shallowly,
 * any other value becomes `{ result: value }`, and `undefined` changes nothing.
 */
export async function runNode(
  node: CompiledNode,
  state: State,
  parallelResults: ParallelFlowResult[] | undefined,
  variables: Readonly<Record<string, unknown>>,
  signal: AbortSignal,
): Promise<State> {
  if (node.run === undefined) return state;
  let returned: unknown;
  try {
    returned = await node.run({ state, parallel_results: parallelResults, variables, signal });
  } catch (error) {
    if (signal.aborted) throw abortError(signal);
    throw new TeaError('E_NODE_FAILED', `node "${node.name}" failed: ${describeThrown(error)}`, { cause: error });
  }
  return mergeUpdate(state, returned);
}

export function mergeUpdate(state: State, update: unknown): State {
  if (update === undefined) return state;
  if (isPlainObject(update)) return { ...state, ...update };
  return { ...state, result: update };
}

function isPlainObject(value: unknown): value is State {
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** `kaput` for a plain Error, `TypeError: ...` otherwise: the class often says what went wrong. */
export function describeThrown(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  return error.name === 'Error' || error.name === 'TeaError' ? error.message : `${error.name}: ${error.message}`;
}
