import { TeaError } from '../errors';
import { reaches } from './reach';
import { END, START, type Graph } from './types';

export interface Scope {
  /** The first node run, or `__start__`. */
  readonly entry: string;
  /** The node the run stops before (it is not run), or `__end__`. */
  readonly exit: string;
}

/**
 * Checks a scoped run's entry and exit points before anything runs: both must be
 * nodes (or the implicit start/end), differ, and be joined by some path.
 */
export function resolveScope(graph: Graph, entryPoint?: string, exitPoint?: string): Scope {
  const entry = entryPoint ?? START;
  const exit = exitPoint ?? END;
  const names = () => graph.order.join(', ');
  if (entry !== START && !graph.nodes.has(entry)) {
    throw new TeaError('E_SCOPE_INVALID', `entry point "${entry}" is not a node of this workflow (nodes: ${names()})`);
  }
  if (exit !== END && !graph.nodes.has(exit)) {
    throw new TeaError('E_SCOPE_INVALID', `exit point "${exit}" is not a node of this workflow (nodes: ${names()})`);
  }
  if (entry === exit) throw new TeaError('E_SCOPE_INVALID', `entry point and exit point are both "${entry}"`);
  if (!reaches(graph, entry, exit)) throw new TeaError('E_SCOPE_INVALID', `no path from "${entry}" to "${exit}"`);
  return { entry, exit };
}
