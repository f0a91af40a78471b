import { END, type Graph, type Route } from './types';

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
