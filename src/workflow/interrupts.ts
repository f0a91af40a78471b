import type { ParallelConfig } from '../config/parallel';
import type { Issues } from './issues';
import type { WorkflowDocument } from './schema';
import { END, type Graph } from './types';

/** A point where the workflow asks to pause for a human (The Edge Agent's interrupts). */
export interface InterruptPoint {
  node: string;
  when: 'before' | 'after';
  /** Where it was written, for messages: `interrupt_before[0]`, `nodes[3].interrupt`, ... */
  path: string;
}

/** Every interrupt point the document declares, top level, under `config:` and per node; "*" means every node. */
export function collectInterrupts(doc: WorkflowDocument, graph: Graph, issues: Issues): InterruptPoint[] {
  const points: InterruptPoint[] = [];
  const lists: Array<[string, 'before' | 'after', readonly string[] | null | undefined]> = [
    ['interrupt_before', 'before', doc.interrupt_before],
    ['interrupt_after', 'after', doc.interrupt_after],
    ['config.interrupt_before', 'before', doc.config?.interrupt_before],
    ['config.interrupt_after', 'after', doc.config?.interrupt_after],
  ];
  for (const [key, when, names] of lists) {
    (names ?? []).forEach((node, i) => {
      const path = `${key}[${i}]`;
      if (node === '*') points.push(...graph.order.map((n) => ({ node: n, when, path })));
      else if (graph.nodes.has(node)) points.push({ node, when, path });
      else issues.add(path, `unknown node "${node}" (nodes: ${graph.order.join(', ')})`);
    });
  }
  doc.nodes.forEach((spec, i) => {
    if (spec.interrupt === undefined || spec.interrupt === false) return;
    points.push({ node: spec.name, when: spec.interrupt === 'after' ? 'after' : 'before', path: `nodes[${i}].interrupt` });
  });
  return points;
}

/**
 * A branch on an SSH host runs as one `tea run` with no terminal and no way back to
 * the user, so it cannot stop for input: an interrupt point inside a remote branch's
 * scope (its nodes up to the fan-in, nested fan-outs included) is refused when the
 * workflow loads, before any connection.
 */
export function checkRemoteInterrupts(points: readonly InterruptPoint[], graph: Graph, parallel: ParallelConfig, issues: Issues): void {
  if (points.length === 0) return;
  const remoteScope = new Map<string, { branch: string; edgeIndex: number }>();
  for (const route of graph.routes.values()) {
    if (route.kind !== 'fan-out') continue;
    for (const b of route.branches) {
      if ((b.strategy ?? parallel.strategy) !== 'remote') continue;
      for (const node of branchScope(graph, b.target, route.fanIn)) {
        if (!remoteScope.has(node)) remoteScope.set(node, { branch: b.target, edgeIndex: b.edgeIndex });
      }
    }
  }
  const reported = new Set<string>();
  for (const point of points) {
    const scope = remoteScope.get(point.node);
    if (scope === undefined || reported.has(`${point.path}:${point.node}`)) continue;
    reported.add(`${point.path}:${point.node}`);
    issues.add(
      point.path,
      `interrupt ${point.when} node "${point.node}" is inside remote branch "${scope.branch}" (edges[${scope.edgeIndex}]), which runs on an SSH host and cannot pause for input: ` +
        `put the interrupt outside the branch (on the fan-out or fan-in node) or give edges[${scope.edgeIndex}] another parallel_strategy`,
    );
  }
}

/** The nodes a branch runs: from its first node until its fan-in (excluded), through nested fan-outs. */
export function branchScope(graph: Graph, start: string, fanIn: string): Set<string> {
  const scope = new Set<string>();
  const stack = [start];
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (node === fanIn || node === END || scope.has(node)) continue;
    scope.add(node);
    const route = graph.routes.get(node);
    if (route === undefined) continue;
    if (route.kind === 'fan-out') stack.push(...route.branches.map((b) => b.target), route.fanIn);
    else stack.push(...route.edges.map((e) => e.to));
  }
  return scope;
}
