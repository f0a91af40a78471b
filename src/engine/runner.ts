import type { EventSink } from '../events';
import type { ExecutorFactory } from '../executors/registry';
import type { ProcessExecutorOptions } from '../executors/process';
import type { ParallelFlowResult, State } from '../executors/types';
import type { Logger } from '../log';
import { END, START, type Route, type Workflow } from '../workflow/types';
import { TeaError } from '../errors';
import { throwIfAborted, yieldToEventLoop } from './cancel';
import { ExecutorPool } from './executor-pool';
import { fanOut } from './fan-out';
import { describeThrown, runNode } from './node';

export interface RunnerOptions {
  logger: Logger;
  events: EventSink;
  executorFactory?: ExecutorFactory;
  process?: ProcessExecutorOptions;
}

/**
 * Walks one workflow: the top-level scoped run and, for the thread strategy, every
 * branch (which is itself a scoped run from the branch's node to its fan-in).
 * Holds the run's executors, so nested fan-outs reuse them.
 */
export class Runner {
  readonly executors: ExecutorPool;

  constructor(
    private readonly workflow: Workflow,
    private readonly options: RunnerOptions,
  ) {
    const context = {
      workflowText: workflow.branchText,
      ...(workflow.path === undefined ? {} : { workflowPath: workflow.path }),
      logger: options.logger,
      events: options.events,
    };
    const deps = {
      context,
      runBranch: (flow: { entryPoint: string; exitPoint: string; state: State }, signal: AbortSignal) =>
        this.runScope(flow.entryPoint, flow.exitPoint, flow.state, signal),
      ...(options.process === undefined ? {} : { process: options.process }),
    };
    this.executors = new ExecutorPool(deps, options.executorFactory);
  }

  /** Runs from `entry` (run) until `exit` (not run) or `__end__`; returns the final state. */
  async runScope(entry: string, exit: string, state: State, signal: AbortSignal): Promise<State> {
    const { graph, variables, parallel } = this.workflow;
    const { logger } = this.options;
    let current = entry === START ? this.next(START, graph.routes.get(START)!, state) : entry;
    let pending: ParallelFlowResult[] | undefined;
    while (current !== exit && current !== END) {
      throwIfAborted(signal);
      await yieldToEventLoop();
      throwIfAborted(signal);
      const node = graph.nodes.get(current)!;
      const started = Date.now();
      state = await runNode(node, state, pending, variables, signal);
      pending = undefined;
      logger.debug(`node "${current}" done in ${Date.now() - started} ms`);
      const route = graph.routes.get(current)!;
      if (route.kind === 'fan-out') {
        logger.debug(`node "${current}" fans out to ${route.branches.map((b) => b.target).join(', ')}; fan-in "${route.fanIn}"`);
        pending = await fanOut(current, route, state, parallel, this.executors, signal, this.options.events);
        current = route.fanIn;
      } else {
        current = this.next(current, route, state);
      }
    }
    return state;
  }

  /** The first ordinary edge whose condition holds; no edges at all means the end. */
  private next(from: string, route: Route, state: State): string {
    if (route.kind !== 'next') throw new Error('unreachable: fan-outs are handled by runScope');
    if (route.edges.length === 0) return END;
    for (const edge of route.edges) {
      if (edge.condition === undefined) return edge.to;
      let holds: boolean;
      try {
        holds = edge.condition.test(state, this.workflow.variables);
      } catch (error) {
        throw new TeaError('E_NODE_FAILED', `condition of edges[${edge.edgeIndex}] (${edge.condition.source}) failed: ${describeThrown(error)}`, { cause: error });
      }
      if (holds) return edge.to;
    }
    throw new TeaError('E_NODE_FAILED', `no edge out of "${from}" matched the state (add an edge without "when" as the default)`);
  }
}
