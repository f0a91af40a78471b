import type { Strategy } from '../config/parallel';
import { compileRun } from './compile';
import { edgeCondition } from './edge-condition';
import type { Issues } from './issues';
import type { EdgeSpec, NodeSpec } from './schema';
import { reaches } from './reach';
import { END, START, type Branch, type CompiledNode, type Graph, type GuardedEdge, type Route } from './types';

/**
 * Builds the graph of a document whose shape is already valid: checks names and
 * references, compiles `run` bodies and conditions, and turns edges into one route
 * per node. Everything wrong is added to `issues` with its path; the caller throws.
 */
export function buildGraph(nodeSpecs: readonly NodeSpec[], edgeSpecs: readonly EdgeSpec[], requireFn: NodeJS.Require, issues: Issues): Graph {
  const nodes = compileNodes(nodeSpecs, requireFn, issues);
  const order = nodeSpecs.map((n) => n.name);
  const routes = edgeSpecs.length === 0 ? chainRoutes(order) : edgeRoutes(edgeSpecs, nodes, order, issues);
  const graph: Graph = { nodes, order, routes };
  if (issues.empty) checkBranchesReachFanIn(graph, issues);
  return graph;
}

function compileNodes(specs: readonly NodeSpec[], requireFn: NodeJS.Require, issues: Issues): Map<string, CompiledNode> {
  const nodes = new Map<string, CompiledNode>();
  specs.forEach((spec, index) => {
    const path = `nodes[${index}]`;
    if (spec.name === START || spec.name === END) {
      issues.add(`${path}.name`, `"${spec.name}" is reserved for the implicit start and end of the graph`);
      return;
    }
    const previous = nodes.get(spec.name);
    if (previous !== undefined) {
      issues.add(`${path}.name`, `duplicate node name "${spec.name}" (also nodes[${previous.index}])`);
      return;
    }
    let run: CompiledNode['run'];
    if (spec.run !== undefined) {
      const compiled = compileRun(spec.name, spec.run, requireFn);
      if (compiled.ok) run = compiled.value;
      else issues.add(`${path}.run`, compiled.message);
    }
    nodes.set(spec.name, { name: spec.name, index, ...(run === undefined ? {} : { run }) });
  });
  return nodes;
}

/** No edges at all: nodes run in document order. */
function chainRoutes(order: readonly string[]): Map<string, Route> {
  const routes = new Map<string, Route>();
  const chain = [START, ...order, END];
  for (let i = 0; i < chain.length - 1; i += 1) {
    routes.set(chain[i]!, { kind: 'next', edges: [{ to: chain[i + 1]!, edgeIndex: -1 }] });
  }
  return routes;
}

interface Outgoing {
  ordinary: GuardedEdge[];
  parallel: Branch[];
  fanIn?: { name: string; edgeIndex: number };
  unconditional?: number;
}

function edgeRoutes(specs: readonly EdgeSpec[], nodes: ReadonlyMap<string, CompiledNode>, order: readonly string[], issues: Issues): Map<string, Route> {
  const out = new Map<string, Outgoing>();
  const outgoing = (from: string) => {
    let o = out.get(from);
    if (o === undefined) out.set(from, (o = { ordinary: [], parallel: [] }));
    return o;
  };
  const known = (name: string) => nodes.has(name);

  specs.forEach((spec, i) => {
    const path = `edges[${i}]`;
    const isParallel = spec.type === 'parallel' || spec.parallel === true;
    if (spec.type === 'normal' && spec.parallel === true) issues.add(path, '"type: normal" contradicts "parallel: true"');
    if (spec.from === END) issues.add(`${path}.from`, `no edge can leave "${END}"`);
    else if (spec.from !== START && !known(spec.from)) issues.add(`${path}.from`, unknownNode(spec.from, order));
    const targets = Array.isArray(spec.to) ? spec.to : [spec.to];
    targets.forEach((to, t) => {
      const at = Array.isArray(spec.to) ? `${path}.to[${t}]` : `${path}.to`;
      if (to === START) issues.add(at, `no edge can enter "${START}"`);
      else if (to !== END && !known(to)) issues.add(at, unknownNode(to, order));
    });
    const condition = edgeCondition(spec, path, issues);
    const o = outgoing(spec.from);

    if (!isParallel) {
      if (Array.isArray(spec.to)) issues.add(`${path}.to`, 'a list of targets needs "type: parallel" (a fan-out)');
      if (spec.fan_in !== undefined) issues.add(`${path}.fan_in`, 'only parallel edges have a fan-in');
      if (spec.parallel_strategy !== undefined) issues.add(`${path}.parallel_strategy`, 'only parallel edges have a strategy');
      if (condition === undefined) {
        if (o.unconditional !== undefined) {
          issues.add(path, `"${spec.from}" already has an unconditional edge (edges[${o.unconditional}]); add "when" to choose between them`);
        }
        o.unconditional ??= i;
      }
      o.ordinary.push({ to: targets[0]!, edgeIndex: i, ...(condition ? { condition } : {}) });
      return;
    }

    if (condition !== undefined) issues.add(path, 'parallel edges cannot have a condition: every branch runs');
    if (spec.from === START) issues.add(`${path}.from`, `a fan-out starts at a node, not "${START}"`);
    if (spec.fan_in === undefined) {
      issues.add(`${path}.fan_in`, 'required for a parallel edge: the node that receives parallel_results');
      return;
    }
    if (!known(spec.fan_in)) issues.add(`${path}.fan_in`, unknownNode(spec.fan_in, order));
    if (spec.fan_in === spec.from) issues.add(`${path}.fan_in`, `a node cannot fan in to itself ("${spec.from}")`);
    if (o.fanIn !== undefined && o.fanIn.name !== spec.fan_in) {
      issues.add(`${path}.fan_in`, `"${spec.fan_in}" differs from "${o.fanIn.name}" (edges[${o.fanIn.edgeIndex}]): all parallel edges from "${spec.from}" share one fan-in`);
    }
    o.fanIn ??= { name: spec.fan_in, edgeIndex: i };
    targets.forEach((target, t) => {
      const at = Array.isArray(spec.to) ? `${path}.to[${t}]` : `${path}.to`;
      if (target === END) issues.add(at, `a branch must run a node, not "${END}"`);
      if (target === spec.fan_in) issues.add(at, `a branch cannot start at its own fan-in node "${spec.fan_in}"`);
      if (o.parallel.some((b) => b.target === target)) issues.add(at, `"${target}" is already a branch of the fan-out from "${spec.from}"`);
      o.parallel.push(branch(target, i, spec.parallel_strategy));
    });
  });

  const routes = new Map<string, Route>();
  for (const [from, o] of out) {
    if (o.parallel.length > 0 && o.ordinary.length > 0) {
      issues.add(`edges[${o.ordinary[0]!.edgeIndex}]`, `"${from}" fans out (edges[${o.parallel[0]!.edgeIndex}]), so it cannot also have ordinary edges: put them on the fan-in node`);
    }
    routes.set(from, o.parallel.length > 0 ? { kind: 'fan-out', branches: o.parallel, fanIn: o.fanIn!.name } : { kind: 'next', edges: o.ordinary });
  }
  // Implicit start: the first node. Implicit end: a node with no outgoing edge.
  if (!routes.has(START) && order.length > 0) routes.set(START, { kind: 'next', edges: [{ to: order[0]!, edgeIndex: -1 }] });
  for (const name of order) if (!routes.has(name)) routes.set(name, { kind: 'next', edges: [] });
  return routes;
}

function branch(target: string, edgeIndex: number, strategy: Strategy | undefined): Branch {
  return { target, edgeIndex, ...(strategy === undefined ? {} : { strategy }) };
}

function unknownNode(name: string, order: readonly string[]): string {
  const shown = order.length > 12 ? `${order.slice(0, 12).join(', ')}, ...` : order.join(', ');
  return `unknown node "${name}" (nodes: ${shown})`;
}

/** A branch that can never reach its fan-in would hang the fan-in forever or end the run silently. */
function checkBranchesReachFanIn(graph: Graph, issues: Issues): void {
  for (const route of graph.routes.values()) {
    if (route.kind !== 'fan-out') continue;
    for (const b of route.branches) {
      if (!reaches(graph, b.target, route.fanIn)) {
        issues.add(`edges[${b.edgeIndex}].to`, `branch "${b.target}" never reaches its fan-in node "${route.fanIn}"`);
      }
    }
  }
}
