import type { ParallelConfig, Strategy } from '../config/parallel';
import type { ParallelFlowResult, State } from '../executors/types';
import type { InterruptPoint } from './interrupts';

/** The implicit first and last vertices of every workflow graph. */
export const START = '__start__';
export const END = '__end__';

/** What a node's `run` body sees, besides Node's globals. */
export interface NodeScope {
  state: State;
  /** One entry per branch at a fan-in node; undefined elsewhere. */
  parallel_results: ParallelFlowResult[] | undefined;
  variables: Readonly<Record<string, unknown>>;
  /** Aborted when the run is cancelled or the branch times out. */
  signal: AbortSignal;
}

export interface CompiledNode {
  readonly name: string;
  /** Index in `nodes`, for messages. */
  readonly index: number;
  /** Undefined for a node without `run`: it passes the state through. */
  readonly run?: (scope: NodeScope) => Promise<unknown>;
}

export interface Condition {
  /** The expression as written, for messages. */
  readonly source: string;
  readonly test: (state: State, variables: Readonly<Record<string, unknown>>) => boolean;
}

/** An ordinary edge out of a node; the first whose condition holds is taken. */
export interface GuardedEdge {
  readonly to: string;
  readonly edgeIndex: number;
  readonly condition?: Condition;
}

export interface Branch {
  readonly target: string;
  readonly edgeIndex: number;
  /** The edge's `parallel_strategy`; unset means `settings.parallel.strategy`. */
  readonly strategy?: Strategy;
}

/**
 * Where the run goes after a node. `next` with no edges ends the run (`__end__`);
 * `fan-out` runs the branches, then the fan-in node.
 */
export type Route =
  | { readonly kind: 'next'; readonly edges: readonly GuardedEdge[] }
  | { readonly kind: 'fan-out'; readonly branches: readonly Branch[]; readonly fanIn: string };

export interface Graph {
  readonly nodes: ReadonlyMap<string, CompiledNode>;
  /** Node names in document order. */
  readonly order: readonly string[];
  /** One route per node and one for `__start__`. */
  readonly routes: ReadonlyMap<string, Route>;
}

/** A loaded, validated, compiled workflow: everything a run needs. */
export interface Workflow {
  readonly name?: string;
  /** The YAML as written (or the branch form this workflow was loaded from). */
  readonly text: string;
  /**
   * What process, remote and GNU Parallel branches get: the validated document in branch form
   * (branch-form.ts), which they read without the YAML parser and load only as far as
   * their scope reaches; the YAML text when JSON cannot carry the document exactly.
   */
  readonly branchText: string;
  /** The file it was loaded from, if any. */
  readonly path?: string;
  readonly initialState: State;
  readonly variables: Readonly<Record<string, unknown>>;
  readonly parallel: ParallelConfig;
  readonly graph: Graph;
  /** Declared interrupt points; this engine does not pause at them (see README "Interrupts"). */
  readonly interrupts: readonly InterruptPoint[];
}
