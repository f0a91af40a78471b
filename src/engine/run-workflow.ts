import type { EventSink } from '../events';
import { guardEvents, ignoreEvents } from '../events';
import { TeaError } from '../errors';
import type { ExecutorFactory } from '../executors/registry';
import type { ProcessExecutorOptions } from '../executors/process';
import type { State } from '../executors/types';
import { guardLogger, silentLogger, type Logger } from '../log';
import { REMOTE_BRANCH_ENV } from '../executors/registry';
import { reachableFanOuts } from '../workflow/reach';
import { resolveScope } from '../workflow/scope';
import { START, type Workflow } from '../workflow/types';
import { Runner } from './runner';

export interface RunOptions {
  /** First node to run; default: the start of the graph. */
  entryPoint?: string;
  /** Node to stop before (it is not run); default: the end of the graph. */
  exitPoint?: string;
  /**
   * The state to start from. A run from the start of the graph merges it over the
   * workflow's `initial_state`; a scoped run starts from it exactly (it is the
   * state some earlier part of the graph produced).
   */
  input?: State;
  /** Aborting it stops the run and its branches; the run rejects with E_CANCELLED (or the reason, if a TeaError). */
  signal?: AbortSignal;
  logger?: Logger;
  events?: EventSink;
  /** Replaces the executor registry, e.g. to run branches elsewhere or to observe them in tests. */
  executorFactory?: ExecutorFactory;
  /** Options of the process strategy (which tea CLI to spawn, ...). */
  process?: ProcessExecutorOptions;
}

/**
 * Runs a workflow, or the part of it between an entry and an exit point, and
 * resolves with the final state. Scope errors are found before any node runs.
 * Rejects with a TeaError: E_SCOPE_INVALID / E_INPUT_INVALID (bad request),
 * E_NODE_FAILED / E_BRANCH_FAILED (the workflow failed), E_CANCELLED.
 */
export async function runWorkflow(workflow: Workflow, options: RunOptions = {}): Promise<State> {
  const scope = resolveScope(workflow.graph, options.entryPoint, options.exitPoint);
  const input = options.input ?? {};
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new TeaError('E_INPUT_INVALID', 'the input state must be a JSON object');
  }
  const state = scope.entry === START ? { ...structuredClone(workflow.initialState), ...input } : input;
  // An embedder's logger or event sink that throws cannot break the run.
  const logger = guardLogger(options.logger ?? silentLogger);
  const events = guardEvents(options.events ?? ignoreEvents, logger);
  // Said once, by the top-level run (not again by every scoped branch run).
  if (scope.entry === START && workflow.interrupts.length > 0) {
    const names = [...new Set(workflow.interrupts.map((p) => `${p.when} "${p.node}"`))].join(', ');
    logger.warn(`interrupt points (${names}) are accepted for compatibility but this engine does not pause at them`);
  }
  if (options.executorFactory === undefined) await checkRemoteBeforeRun(workflow, scope.entry, scope.exit, logger);
  const runner = new Runner(workflow, {
    logger,
    events,
    ...(options.executorFactory === undefined ? {} : { executorFactory: options.executorFactory }),
    ...(options.process === undefined ? {} : { process: options.process }),
  });
  try {
    return await runner.runScope(scope.entry, scope.exit, state, options.signal ?? new AbortController().signal);
  } finally {
    await runner.executors.close();
  }
}

/**
 * Everything about the remote hosts that can be checked on this machine (keys, ssh_config,
 * host names) is checked before the first node runs, so a bad setting does not surface
 * only when the fan-out is reached, after earlier nodes had their side effects.
 * Skipped inside a remote branch (its nested fan-outs run there in-process).
 */
async function checkRemoteBeforeRun(workflow: Workflow, entry: string, exit: string, logger: Logger): Promise<void> {
  const remote = workflow.parallel.remote;
  // GNU Parallel's ssh authenticates by its own rules: its plan checks what it needs.
  if (remote === undefined || remote.gnu_parallel === 'run' || process.env[REMOTE_BRANCH_ENV] === '1') return;
  const usesRemote = reachableFanOuts(workflow.graph, entry, exit).some((node) => {
    const route = workflow.graph.routes.get(node);
    return route?.kind === 'fan-out' && route.branches.some((b) => (b.strategy ?? workflow.parallel.strategy) === 'remote');
  });
  if (!usesRemote) return;
  // Loaded on use: a run without remote fan-outs does not pay for ssh2.
  const { checkBeforeRun } = await import('../remote/local-checks');
  await checkBeforeRun(remote, logger);
}
