import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ParallelConfig } from '../config/parallel';
import { DEFAULT_CONNECT_TIMEOUT_SECONDS } from '../config/remote';
import { TeaError, errorMessage } from '../errors';
import { runChild } from '../executors/child';
import type { ExecutorContext } from '../executors/context';
import type { Flow, ParallelFlowResult } from '../executors/types';
import { loadBasefile } from '../remote/host/basefile';
import { resolveHosts } from '../remote/trust/hosts';
import { quote } from '../remote/command/quote';
import { buildPlan, remoteDirFor, specFromConfig, type ShellCommand } from './gnu-parallel';
import { parseJoblog } from './joblog';
import { PLAN_FILES } from './layout';
import { collectResults } from './results';
import { toParallelResult } from '../core/outcome';
import { stagePlan } from './stage';
import { PlanHostKeys } from './host-keys';
import { checkPlanWorkdirs } from './workdir-trust';
import { selectEnv } from '../remote/command/env-vars';

export interface RunPlanOptions {
  flows: readonly Flow[];
  config: ParallelConfig;
  context: ExecutorContext;
  /** Names this run's remote directory, with `fanout`. */
  runId: string;
  fanout: number;
  signal?: AbortSignal | undefined;
  /** The GNU Parallel program (as detected). */
  command?: string;
  /** The run's host keys (one per run: keys stay pinned across its fan-outs); default: this fan-out's own. */
  hostKeys?: PlanHostKeys;
}

/**
 * GNU Parallel cannot carry env_vars the way the ssh2 path does (values on the exec
 * channel, never on a command line or at rest): refuse rather than drop them silently.
 */
function refuseEnvVars(remote: NonNullable<ParallelConfig['remote']>): void {
  const selection = selectEnv(remote.env_vars, process.env);
  const names = Object.keys(selection.values);
  if (selection.mode === 'none' || names.length === 0) return;
  throw new TeaError(
    'E_CONFIG_INVALID',
    `settings.parallel.remote.env_vars: gnu_parallel: run does not transfer environment variables (${names.join(', ')}); ` +
      'set gnu_parallel to off (the ssh2 path transfers them) or env_vars.mode to none',
  );
}

/**
 * Runs one remote fan-out with GNU Parallel: stages the plan in a fresh local
 * directory, runs it there, and turns the joblog and the returned result files into
 * one ParallelFlowResult per flow, in order. A branch's failure is a result, never a
 * throw. With cleanup, a sweep then removes the fan-out's remote directory (what
 * failed or timed-out jobs left) and the local staging directory is deleted;
 * without it both stay for inspection, as the ssh2 path leaves its run directory.
 */
export async function runPlan(options: RunPlanOptions): Promise<ParallelFlowResult[]> {
  const { flows, config, context, fanout } = options;
  const { logger, events } = context;
  const remote = config.remote;
  if (remote === undefined) throw new TeaError('E_CONFIG_INVALID', 'settings.parallel.remote: required for strategy "remote" (at least `hosts`)');
  if (flows.length === 0) return [];
  // The same checks, with the same messages, as the ssh2 path: before anything runs.
  const specs = resolveHosts(remote);
  refuseEnvVars(remote);
  const basefile = loadBasefile(remote.basefile);
  const { spec, notes } = specFromConfig(config, flows, remoteDirFor(remote.workdir, options.runId, fanout));
  const signal = options.signal ?? new AbortController().signal;

  const dir = await mkdtemp(path.join(tmpdir(), `tea-gp-${options.runId}-${fanout}-`));
  let keep = !remote.cleanup;
  try {
    // Host keys: the ssh2 path's policy, pinned for the run; GNU Parallel's ssh sees only those keys.
    const knownHosts = path.join(dir, PLAN_FILES.knownHosts);
    const aliases = new Map(specs.map((s, i) => [s.id, remote.hosts[i]?.host ?? s.host]));
    const refused = await (options.hostKeys ?? new PlanHostKeys(logger)).pin(specs, aliases, knownHosts, signal);
    // The workdir trust check of the ssh2 path, before GNU Parallel makes or runs anything there.
    const untrusted = await checkPlanWorkdirs(specs.filter((s) => !refused.has(s.id)), remote, remoteDirFor(remote.workdir, options.runId, fanout), options.runId, logger, signal);
    for (const [id, error] of untrusted) refused.set(id, error);
    for (const error of refused.values()) logger.warn(`${error.host ?? ''}: excluded from this run: ${error.message}`);
    if (refused.size === specs.length) {
      // No host left: every branch gets the refusal as its result (nothing ran anywhere).
      const first = [...refused.values()][0]!;
      return flows.map((flow) => toParallelResult({ flow, ok: false, error: first, code: first.code, attempts: [], timingMs: 0 }));
    }
    spec.hosts = spec.hosts.filter((_, i) => !refused.has(specs[i]!.id));
    spec.ssh = { ...spec.ssh, knownHosts, strictHostKeyChecking: 'yes', globalKnownHosts: '/dev/null' };
    const plan = buildPlan(spec);
    await stagePlan({ dir, plan, flows, basefile: basefile.localPath, workflowText: context.workflowText });
    logger.info(`gnu-parallel: fan-out ${fanout}: ${flows.length} branch(es) on ${spec.hosts.length} host(s), remote dir ${plan.remoteDir}`);
    for (const note of notes) logger.debug(`gnu-parallel: ${note}`);
    logger.debug(`gnu-parallel: cd ${quote(dir)} && ${plan.run.line}`);

    const exit = await run(plan.run, dir, signal, (remote.kill_grace_seconds + 2) * 1000, options.command, context);
    if (exit.code !== 0) logger.debug(`gnu-parallel: exited ${exit.code ?? exit.signal}: ${exit.stderrTail.split('\n').at(-1) ?? ''}`);
    const joblog = await readFile(path.join(dir, PLAN_FILES.joblog), 'utf8').catch(() => '');
    const results = await collectResults({
      dir,
      flows,
      hosts: spec.hosts,
      entries: parseJoblog(joblog),
      ...(spec.timeoutSeconds === undefined ? {} : { timeoutSeconds: spec.timeoutSeconds }),
      cancelled: signal.aborted,
      failFast: spec.failFast,
      parallelExit: { code: exit.code, stderrTail: exit.stderrTail },
    });
    results.forEach((r, index) => {
      events({
        type: 'flow:finished',
        index,
        branch: r.branch,
        target: r.host ?? null,
        success: r.success,
        timing_ms: r.timing_ms,
        ...(r.error_type === null ? {} : { error_code: r.error_type }),
      });
    });
    await Promise.all(plan.sweep.map((command) => sweep(command, dir, remote.connect_timeout ?? DEFAULT_CONNECT_TIMEOUT_SECONDS, context, plan.remoteDir)));
    return results;
  } catch (error) {
    keep = true;
    throw error;
  } finally {
    if (keep) logger.info(`gnu-parallel: staging directory kept: ${dir}`);
    else await rm(dir, { recursive: true, force: true });
  }
}

function run(command: ShellCommand, cwd: string, signal: AbortSignal, killGraceMs: number, program: string | undefined, context: ExecutorContext) {
  const [first, ...args] = command.argv;
  const label = first === 'parallel' ? 'gnu-parallel' : `gnu-parallel: ${first}`;
  return runChild(program ?? first!, args, { signal, killGraceMs, logger: context.logger, label, env: { ...process.env, ...command.env }, cwd }).catch(
    (error: unknown) => {
      throw new TeaError('E_GNU_PARALLEL_FAILED', `cannot run ${first}: ${errorMessage(error)}`, { cause: error });
    },
  );
}

/** Best effort, bounded: a host that cannot be reached now keeps the directory, and the log says which. */
async function sweep(command: ShellCommand, cwd: string, connectTimeout: number, context: ExecutorContext, remoteDir: string): Promise<void> {
  const host = command.argv.at(-2);
  try {
    const exit = await run(command, cwd, AbortSignal.timeout((connectTimeout + 30) * 1000), 2000, undefined, context);
    if (exit.code !== 0) throw new Error(exit.stderrTail.split('\n').at(-1) || `exit ${exit.code ?? exit.signal}`);
  } catch (error) {
    context.logger.warn(`gnu-parallel: cleanup failed, remove ${remoteDir} from ${host} by hand: ${errorMessage(error)}`);
  }
}
