import { nextVertices } from '../workflow/reach';
import { END, START, type Workflow } from '../workflow/types';

export interface RemoteFanOut {
  /** The node that fans out. */
  from: string;
  fanIn: string;
  /** The branches that run remotely, in edge order (others of the same fan-out run locally). */
  branches: string[];
}

/**
 * The fan-outs with remote branches that a run from the start can reach, ignoring
 * edge conditions, in the order a walk from the start meets them. The walk goes
 * into local (thread/process) branches, whose nested fan-outs run from this
 * machine too, but not into remote ones: a remote branch runs its nested fan-outs
 * in-process on its host.
 */
export function remoteFanOuts(workflow: Workflow): RemoteFanOut[] {
  const { graph, parallel } = workflow;
  const found: RemoteFanOut[] = [];
  const seen = new Set<string>();
  const queue = [START];
  while (queue.length > 0) {
    const vertex = queue.shift()!;
    if (seen.has(vertex) || vertex === END) continue;
    seen.add(vertex);
    const route = graph.routes.get(vertex);
    if (route?.kind === 'fan-out') {
      const remote = route.branches.filter((b) => (b.strategy ?? parallel.strategy) === 'remote').map((b) => b.target);
      if (remote.length > 0) found.push({ from: vertex, fanIn: route.fanIn, branches: remote });
      queue.push(...route.branches.filter((b) => !remote.includes(b.target)).map((b) => b.target));
    }
    queue.push(...nextVertices(route));
  }
  return found;
}
