import { END, START } from './types';

/**
 * The part of a (parsed, not yet validated) document that a scoped run from `entry` up to
 * `exit` can touch: the nodes on its path and, for every fan-out on it, the nodes of each
 * branch up to that fan-out's fan-in (nested fan-outs alike), plus every edge leaving a node
 * the run can leave. `exit` and each fan-in are where their walk stops: they are included as
 * nodes, but their edges only if some walk passes through them.
 *
 * Edges keep their document index (`edges` is sparse), so messages such as "condition of
 * edges[7] failed" name the same edge as in the whole document.
 *
 * Undefined when the document cannot be cut this way (no edges: nodes run in document
 * order; a run from the start; an unexpected shape): the caller then loads all of it.
 */
export interface DocumentSlice {
  nodes: unknown[];
  /** Sparse: the slice's edges at their index in the document. */
  edges: unknown[];
  /** Every node name in the slice. */
  names: ReadonlySet<string>;
}

interface EdgeLike {
  from: string;
  to: string | string[];
  fan_in?: unknown;
  type?: unknown;
  parallel?: unknown;
}

const isEdge = (e: unknown): e is EdgeLike =>
  e !== null && typeof e === 'object' && typeof (e as EdgeLike).from === 'string' &&
  (typeof (e as EdgeLike).to === 'string' || Array.isArray((e as EdgeLike).to));

export function sliceDocument(doc: Record<string, unknown>, entry: string, exit: string): DocumentSlice | undefined {
  const { nodes, edges } = doc;
  if (entry === START || !Array.isArray(nodes) || !Array.isArray(edges) || edges.length === 0) return undefined;
  // An unknown entry or exit point: the whole load reports it, listing every node.
  const all = new Set(nodes.map((n) => (n !== null && typeof n === 'object' ? (n as { name?: unknown }).name : undefined)));
  if (!all.has(entry) || (exit !== END && !all.has(exit))) return undefined;
  const outgoing = new Map<string, number[]>();
  edges.forEach((e, i) => {
    if (!isEdge(e)) return;
    const list = outgoing.get(e.from);
    if (list === undefined) outgoing.set(e.from, [i]);
    else list.push(i);
  });

  const names = new Set<string>([entry, exit]);
  const expanded = new Set<string>();
  // Each walk: [from, stop]. A fan-out's branches stop at its fan-in; the walk that reached
  // the fan-out goes on from the fan-in with its own stop.
  const walks: Array<[string, string]> = [[entry, exit]];
  const seenWalks = new Set<string>();
  while (walks.length > 0) {
    const [start, stop] = walks.pop()!;
    const key = `${start}\0${stop}`;
    if (seenWalks.has(key)) continue;
    seenWalks.add(key);
    const stack = [start];
    const visited = new Set<string>();
    while (stack.length > 0) {
      const v = stack.pop()!;
      names.add(v);
      if (v === stop || v === END || visited.has(v)) continue;
      visited.add(v);
      expanded.add(v);
      for (const i of outgoing.get(v) ?? []) {
        const e = edges[i] as EdgeLike;
        const targets = (Array.isArray(e.to) ? e.to : [e.to]).filter((t): t is string => typeof t === 'string' && t !== END && t !== START);
        const parallel = e.type === 'parallel' || e.parallel === true;
        if (parallel && typeof e.fan_in === 'string') {
          for (const t of targets) walks.push([t, e.fan_in]);
          names.add(e.fan_in);
          stack.push(e.fan_in);
        } else {
          stack.push(...targets);
        }
      }
    }
  }

  const slicedEdges: unknown[] = [];
  for (const name of expanded) for (const i of outgoing.get(name) ?? []) slicedEdges[i] = edges[i];
  const slicedNodes = nodes.filter((n) => n !== null && typeof n === 'object' && names.has((n as { name?: unknown }).name as string));
  return { nodes: slicedNodes, edges: slicedEdges, names };
}
