import { END, START, type Graph, type Route } from './types';

/**
 * Where the run can go next from a route, ignoring conditions. A fan-out continues at
 * its fan-in node: its branches are separate scoped runs, not part of this path.
 */
export function nextVertices(route: Route | undefined): string[] {
  if (route === undefined) return [];
  if (route.kind === 'fan-out') return [route.fanIn];
  return route.edges.length === 0 ? [END] : route.edges.map((e) => e.to);
}

/** Whether some path leads from `from` (after running it) to `to`. */
export function reaches(graph: Graph, from: string, to: string): boolean {
  const seen = new Set<string>();
  const stack = nextVertices(graph.routes.get(from));
  while (stack.length > 0) {
    const vertex = stack.pop()!;
    if (vertex === to) return true;
    if (seen.has(vertex)) continue;
    seen.add(vertex);
    stack.push(...nextVertices(graph.routes.get(vertex)));
  }
  return false;
}

/** Fan-outs a run from `entry` to `exit` can reach (ignoring conditions), in document order, nested ones in branches included. */
export function reachableFanOuts(graph: Graph, entry: string, exit: string): string[] {
  const seen = new Set<string>();
  const stack = entry === START ? nextVertices(graph.routes.get(START)) : [entry];
  while (stack.length > 0) {
    const v = stack.pop()!;
    if (v === exit || v === END || seen.has(v)) continue;
    seen.add(v);
    const route = graph.routes.get(v);
    if (route?.kind === 'fan-out') stack.push(...route.branches.map((b) => b.target));
    stack.push(...nextVertices(route));
  }
  return graph.order.filter((n) => seen.has(n) && graph.routes.get(n)?.kind === 'fan-out');
}
