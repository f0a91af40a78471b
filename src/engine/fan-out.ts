import type { ParallelConfig, Strategy } from '../config/parallel';
import { branchState } from '../core/json-state';
import { TeaError } from '../errors';
import type { EventSink } from '../events';
import type { Flow, ParallelFlowResult, State } from '../executors/types';
import type { Route } from '../workflow/types';
import { throwIfAborted } from './cancel';
import type { ExecutorPool } from './executor-pool';

type FanOutRoute = Extract<Route, { kind: 'fan-out' }>;

/**
 * Runs the branches of a fan-out and returns one result per branch, in edge order.
 * Each branch starts on its own JSON copy of `state` (the same on every strategy:
 * core/json-state.ts) and runs to the fan-in node.
 * Branches with different `parallel_strategy` run at the same time on their
 * executors. A failed branch fails the fan-out unless `collect_failures` is set.
 */
export async function fanOut(
  from: string,
  route: FanOutRoute,
  state: State,
  config: ParallelConfig,
  executors: ExecutorPool,
  signal: AbortSignal,
  events: EventSink = () => {},
): Promise<ParallelFlowResult[]> {
  const flows: Flow[] = route.branches.map((b) => ({ entryPoint: b.target, exitPoint: route.fanIn, state: branchState(state, from) }));
  const groups = new Map<Strategy, number[]>();
  const strategies = route.branches.map((b) => b.strategy ?? config.strategy);
  strategies.forEach((strategy, i) => groups.set(strategy, [...(groups.get(strategy) ?? []), i]));
  const started = Date.now();
  events({ type: 'fanout:started', node: from, fan_in: route.fanIn, branches: route.branches.map((b, i) => ({ branch: b.target, strategy: strategies[i]! })) });

  // If one executor throws (rather than reporting failed results), stop the others' branches too.
  const stop = new AbortController();
  const onAbort = () => stop.abort(signal.reason);
  signal.addEventListener('abort', onAbort, { once: true });
  const results: ParallelFlowResult[] = new Array(flows.length);
  try {
    const outcomes = await Promise.allSettled(
      [...groups].map(async ([strategy, indexes]) => {
        try {
          const executor = executors.get(strategy);
          const out = await executor.execute(indexes.map((i) => flows[i]!), { ...config, strategy }, stop.signal);
          // Exactly one result per flow: an executor that returns fewer (or more) is broken, not "partly done".
          if (out.length !== indexes.length || indexes.some((_, k) => out[k] == null)) {
            throw new TeaError(
              'E_RESULT_MISSING',
              `the ${executor.name} executor returned ${out.filter((r) => r != null).length} result(s) for ${indexes.length} branch(es) of node "${from}": every branch must get exactly one`,
            );
          }
          out.forEach((result, k) => (results[indexes[k]!] = result));
        } catch (error) {
          stop.abort(error);
          throw error;
        }
      }),
    );
    const thrown = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
    if (thrown === undefined) {
      events({
        type: 'fanout:finished',
        node: from,
        fan_in: route.fanIn,
        duration_ms: Date.now() - started,
        results: results.map((r, i) => ({ branch: r.branch, strategy: strategies[i]!, success: r.success, error_code: r.error_type, attempts: r.attempts ?? [] })),
      });
    }
    throwIfAborted(signal);
    if (thrown !== undefined) throw thrown.reason;
  } finally {
    signal.removeEventListener('abort', onAbort);
  }

  if (!config.collect_failures) {
    const failed = results.filter((r) => !r.success);
    // Report the branch that failed first on its own, not one cancelled because of it (fail_fast).
    const first = failed.find((r) => r.error_type !== 'E_CANCELLED') ?? failed[0];
    if (first !== undefined) {
      const more = failed.length > 1 ? ` (${failed.length - 1} more branch${failed.length > 2 ? 'es' : ''} failed)` : '';
      const error = first.error ?? 'unknown error';
      // Most branch errors already start with `branch "<name>"`: say it once.
      const message = error.startsWith(`branch "${first.branch}"`) ? error : `branch "${first.branch}" failed: ${error}`;
      throw new TeaError('E_BRANCH_FAILED', `${message}${more}`, {
        flow: first.branch,
        ...(first.host === undefined ? {} : { host: first.host }),
        ...(first.exit_code === undefined ? {} : { exitCode: first.exit_code }),
        ...(first.stderr_tail === undefined ? {} : { stderrTail: first.stderr_tail }),
      });
    }
  }
  return results;
}
