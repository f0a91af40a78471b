import type { ParallelConfig } from '../config/parallel';
import type { RemoteConfig } from '../config/remote';
import { TeaError } from '../errors';
import { guardContext, type ExecutorContext } from '../executors/context';
import { newRunId } from '../util/run-id';
import type { Flow, ParallelExecutor, ParallelFlowResult, State } from '../executors/types';
import { TargetHealth } from '../scheduler/health';
import { runFlows } from '../scheduler/run-flows';
import type { AttemptContext } from '../scheduler/types';
import { BasefileCatalog } from './host/basefile';
import { resolveHosts, type HostSpec } from './trust/hosts';
import { flowDir } from './host/layout';
import { ConnectionPool } from './ssh/pool';
import { HostSession } from './host/session';
import { EnvTransfer } from './host/env-transfer';
import { BasefileMissing, runBranch, runBranchWarm, type BranchRun } from './flow/run-branch';
import { RunnerUnavailable, WarmRunner } from './runner/warm-runner';
import type { StagedRun } from './host/staging';
import type { FlowEnv } from './host/env-transfer';
import { selectEnv } from './command/env-vars';

interface Setup {
  remote: RemoteConfig;
  hosts: HostSpec[];
  env: EnvTransfer;
  pool: ConnectionPool;
  /** Per host: the session owning its connection, preflight, staging, transfer and env probe. */
  sessions: Map<string, HostSession>;
  health: TargetHealth;
  /** runner: warm: per host, its runner and the staging generation it runs. */
  runners: Map<string, { runner: WarmRunner; generation: number }>;
}

/**
 * The ssh2 way of strategy "remote" (src/executors/remote.ts chooses it or GNU Parallel).
 * Runs fan-out branches on SSH hosts over pure-Node ssh2: one multiplexed
 * connection per host, SFTP staging, a scoped `tea run` per flow, result.json
 * read back. Scheduling, retries, timeouts and breakers come from runFlows.
 */
export class RemoteExecutor implements ParallelExecutor {
  readonly name = 'remote' as const;
  readonly runId: string;
  #setup: Setup | null = null;
  #fanouts = 0;
  #closed = false;
  #finished = 0;
  /** runner: warm: figures of the runners already ended, per host. */
  readonly #runnerStats = new Map<string, RunnerFigures>();
  /** runner: warm: per running fan-out, its flow count and the flows started so far (standby estimate). */
  readonly #demand = new Map<number, { total: number; started: Set<number> }>();

  private readonly context: ExecutorContext;

  constructor(context: ExecutorContext, options: { runId?: string } = {}) {
    this.context = guardContext(context);
    this.runId = options.runId ?? newRunId();
  }

  /** Flows that have a final result so far, over all fan-outs (progress, tests). */
  finishedCount(): number {
    return this.#finished;
  }

  /** Connections opened per host so far (one per host unless a connection was lost). */
  connectCounts(): Record<string, number> {
    return Object.fromEntries((this.#setup?.pool.all() ?? []).map((c) => [c.spec.id, c.connectCount]));
  }

  async execute(flows: readonly Flow[], config: ParallelConfig, signal?: AbortSignal): Promise<ParallelFlowResult[]> {
    if (this.#closed) throw new TeaError('E_USAGE', 'remote executor is closed');
    const setup = this.#prepare(config);
    const fanout = ++this.#fanouts;
    this.#demand.set(fanout, { total: flows.length, started: new Set() });
    return runFlows({
      flows,
      targets: setup.hosts.map((h) => ({ id: h.id, slots: h.slots })),
      config,
      signal,
      events: (event) => {
        if (event.type === 'flow:finished') this.#finished += 1;
        this.context.events(event);
      },
      logger: this.context.logger,
      health: setup.health,
      reportTarget: true,
      abortGraceMs: (setup.remote.kill_grace_seconds + 2) * 1000,
      attempt: (attempt) => this.#attempt(setup, fanout, attempt),
    }).finally(() => {
      this.#demand.delete(fanout);
      this.#updateStandbys(setup);
    });
  }

  /**
   * runner: warm: each runner keeps as many standby workers as branches are still expected on
   * its host (the flows not started yet, spread over the hosts), at most the host's slots: the
   * next branches find a worker ready, and a run's end leaves few started for nothing.
   */
  #updateStandbys(setup: Setup, starting?: string): void {
    if (setup.runners.size === 0 || setup.remote.warm_standbys === 'off') return;
    let unstarted = 0;
    for (const d of this.#demand.values()) unstarted += d.total - d.started.size;
    // Rounded down: a standby too few costs a branch its worker's start; one too many costs that start in CPU for nothing.
    const share = Math.floor(unstarted / setup.hosts.length);
    // The host whose branch is starting gets its count with that branch's request (taken first, then lowered).
    for (const host of setup.hosts) setup.runners.get(host.id)?.runner.setStandbys(Math.min(host.slots, share), host.id !== starting);
  }

  /** Validates config and resolves hosts once, before any connection. */
  #prepare(config: ParallelConfig): Setup {
    if (this.#setup !== null) return this.#setup;
    const remote = config.remote;
    if (remote === undefined) {
      throw new TeaError('E_CONFIG_INVALID', 'settings.parallel.remote: required for strategy "remote" (at least `hosts`)');
    }
    const { logger, events } = this.context;
    const hosts = resolveHosts(remote, { warn: (message) => logger.warn(message) });
    const catalog = BasefileCatalog.forConfig(remote.basefile);
    const selection = selectEnv(remote.env_vars, process.env);
    const pool = new ConnectionPool(hosts, remote, logger, events);
    // Preflight checks that sshd's AcceptEnv passes the names ssh_env mode will send.
    const acceptEnv = selection.mode === 'ssh_env' ? Object.keys(selection.values) : [];
    const env = new EnvTransfer(selection, logger);
    const deps = { remote, runId: this.runId, catalog, workflowText: this.context.workflowText, acceptEnv, env, logger, events };
    const sessions = new Map(hosts.map((h) => [h.id, new HostSession(pool.get(h.id), deps)]));
    const health = new TargetHealth(config.circuit_breaker, events, logger);
    logger.info(`remote: pure-Node ssh2 transport, one connection per host, ${hosts.length} host(s), run ${this.runId}`);
    this.#setup = { remote, hosts, env, pool, sessions, health, runners: new Map() };
    return this.#setup;
  }

  async #attempt(setup: Setup, fanout: number, { flow, index, target, attempt, signal }: AttemptContext): Promise<State> {
    const session = setup.sessions.get(target.id)!;
    this.#demand.get(fanout)?.started.add(index);
    const connection = session.connection;
    // Shared per-host work: this flow's signal only ends its own wait, never the work.
    let staged = await session.stage(signal);
    const env = await setup.env.forFlow((s) => session.envChecked(s), signal);
    const run = (): BranchRun => ({
      host: target.id,
      flow: flow.entryPoint,
      state: flow.state,
      tea: staged.tea,
      workflow: staged.layout.workflow,
      flowDir: flowDir(staged.layout, fanout, index, attempt),
      entryPoint: flow.entryPoint,
      exitPoint: flow.exitPoint,
      killGraceSeconds: setup.remote.kill_grace_seconds,
      maxResultBytes: setup.remote.max_result_bytes,
      cleanup: setup.remote.cleanup,
      env,
      debug: (message) => this.context.logger.debug(message),
    });
    const once = (): Promise<State> => (setup.remote.runner === 'warm' ? this.#runWarm(setup, staged, env, run(), signal) : runBranch(connection, run(), signal));
    try {
      return await once();
    } catch (error) {
      if (!(error instanceof BasefileMissing)) throw error;
      // A tmp cleaner took the cached basefile: the host's housekeeping, not the branch's failure
      // and not "no Node". Stage again (once for every flow that saw it) and run this attempt again.
      // A warm runner holds a channel: it ends first (MaxSessions 1 leaves no other).
      await this.#dropRunner(setup, target.id);
      staged = await session.restage(staged.generation, signal);
      try {
        return await once();
      } catch (again) {
        if (!(again instanceof BasefileMissing)) throw again;
        throw new TeaError('E_STAGING_FAILED', `branch "${flow.entryPoint}" on ${target.id}: the basefile ${staged.tea} vanished again right after staging: is something on the host deleting files under the workdir?`, { host: target.id, flow: flow.entryPoint });
      }
    }
  }

  /**
   * runner: warm: the branch on its host's runner, started on first use (after staging).
   * A host where the runner cannot start (e.g. a standalone binary basefile) runs processes.
   */
  async #runWarm(setup: Setup, staged: StagedRun, env: FlowEnv, run: BranchRun, signal: AbortSignal): Promise<State> {
    const session = setup.sessions.get(run.host)!;
    let held = setup.runners.get(run.host);
    if (held !== undefined && held.generation !== staged.generation) {
      await this.#dropRunner(setup, run.host);
      held = undefined;
    }
    if (held === undefined) {
      const runner = new WarmRunner(session.connection, {
        host: run.host,
        tea: staged.tea,
        runDir: staged.layout.runDir,
        killGraceSeconds: setup.remote.kill_grace_seconds,
        maxResultBytes: setup.remote.max_result_bytes,
        execEnv: env.execEnv,
        logger: this.context.logger,
      });
      held = { runner, generation: staged.generation };
      setup.runners.set(run.host, held);
    }
    this.#updateStandbys(setup, run.host);
    if (held.runner.unavailable !== null) return runBranch(session.connection, run, signal);
    try {
      return await runBranchWarm(held.runner, run, signal);
    } catch (error) {
      if (error instanceof RunnerUnavailable) return runBranch(session.connection, run, signal);
      throw error;
    }
  }

  async #dropRunner(setup: Setup, host: string): Promise<void> {
    const held = setup.runners.get(host);
    setup.runners.delete(host);
    await held?.runner.close();
    if (held !== undefined) {
      this.#runnerStats.set(host, withRunner(this.#runnerStats.get(host), held.runner));
    }
  }

  /** Per host: runners started and their peak RSS so far, the current one included. */
  #runnerFigures(): Map<string, RunnerFigures> {
    const all = new Map(this.#runnerStats);
    for (const [host, held] of this.#setup?.runners ?? []) {
      all.set(host, withRunner(all.get(host), held.runner));
    }
    return all;
  }

  /** Runners started per host so far (tests: a crashed runner is replaced). */
  runnerStarts(): Record<string, number> {
    return Object.fromEntries([...this.#runnerFigures()].map(([host, f]) => [host, f.starts]));
  }

  /** Branches per host that ran on a standby worker of their runner (tests, bench). */
  runnerStandbyRuns(): Record<string, number> {
    return Object.fromEntries([...this.#runnerFigures()].map(([host, f]) => [host, f.standbyRuns]));
  }

  /** Largest warm runner RSS reported per host (bytes; bench). */
  runnerPeakRss(): Record<string, number> {
    return Object.fromEntries([...this.#runnerFigures()].map(([host, f]) => [host, f.peakRss]));
  }

  /** Ends every host session: this run's files removed (the basefile cache stays), connections closed, no timer left. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const setup = this.#setup;
    if (setup === null) return;
    setup.health.shutdown();
    // Runners first: each holds a channel, and ends its branches' processes before exiting.
    await Promise.all([...setup.runners.keys()].map((host) => this.#dropRunner(setup, host)));
    // No per-flow removal can race the run directory's: each branch's wrapper removes its own directory before it exits.
    await Promise.all([...setup.sessions.values()].map((session) => session.close()));
    await setup.pool.close();
  }
}

/** runner: warm: a host's runner figures (tests, bench), over the runners it has had. */
interface RunnerFigures {
  starts: number;
  peakRss: number;
  standbyRuns: number;
}

/** `seen` (the host's runners so far) with one more runner's figures added. */
function withRunner(seen: RunnerFigures | undefined, runner: WarmRunner): RunnerFigures {
  const base = seen ?? { starts: 0, peakRss: 0, standbyRuns: 0 };
  return { starts: base.starts + runner.starts, peakRss: Math.max(base.peakRss, runner.peakRss), standbyRuns: base.standbyRuns + runner.standbyRuns };
}
