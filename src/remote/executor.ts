import { randomBytes } from 'node:crypto';
import type { ParallelConfig } from '../config/parallel';
import type { RemoteConfig } from '../config/remote';
import { TeaError, errorMessage } from '../errors';
import { guardContext, type ExecutorContext } from '../executors/context';
import type { Flow, ParallelExecutor, ParallelFlowResult, State } from '../executors/types';
import { exitError } from '../core/exit-status';
import { parseBranchResult } from '../core/branch-result';
import { TargetHealth } from '../scheduler/health';
import { runFlows } from '../scheduler/run-flows';
import type { AttemptContext } from '../scheduler/types';
import { chooseRemoteMethod, logPlan, type RemoteMethod } from '../plan/remote-method';
import { runPlan } from '../plan/run-plan';
import { BasefileCatalog } from './host/basefile';
import { resolveHosts, type HostSpec } from './trust/hosts';
import { flowDir } from './host/layout';
import { ConnectionPool } from './ssh/pool';
import { buildRunCommand, printableRunCommand } from './command/remote-command';
import { HostSession } from './host/session';
import { FILE_MODE, DIR_MODE, isNoSuchFile } from './host/staging';
import { sftpOps } from './ssh/sftp-ops';
import { EnvTransfer, type FlowEnv } from './host/env-transfer';
import { selectEnv } from './command/env-vars';

interface Setup {
  remote: RemoteConfig;
  hosts: HostSpec[];
  env: EnvTransfer;
  pool: ConnectionPool;
  /** Per host: the session owning its connection, preflight, staging, env probe and SFTP channel. */
  sessions: Map<string, HostSession>;
  health: TargetHealth;
}

/**
 * Runs fan-out branches on SSH hosts over pure-Node ssh2: one multiplexed
 * connection per host, SFTP staging, a scoped `tea run` per flow, result.json
 * read back. Scheduling, retries, timeouts and breakers come from runFlows.
 */
export class RemoteExecutor implements ParallelExecutor {
  readonly name = 'remote' as const;
  readonly runId = `${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
  #setup: Setup | null = null;
  #method: Promise<RemoteMethod> | null = null;
  #fanouts = 0;
  #closed = false;
  #finished = 0;

  private readonly context: ExecutorContext;

  constructor(context: ExecutorContext) {
    this.context = guardContext(context);
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
    // settings.parallel.remote.gnu_parallel (docs/gnu-parallel.md): decided once per executor.
    const method = await (this.#method ??= chooseRemoteMethod(config.remote, this.context));
    if (method.method === 'gnu-parallel') {
      return runPlan({ flows, config, context: this.context, runId: this.runId, fanout: ++this.#fanouts, signal, command: method.command });
    }
    const setup = this.#prepare(config);
    const fanout = ++this.#fanouts;
    if (method.logPlan) logPlan(flows, config, this.runId, fanout, this.context);
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
    });
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
    this.#setup = { remote, hosts, env, pool, sessions, health };
    return this.#setup;
  }

  async #attempt(setup: Setup, fanout: number, { flow, index, target, attempt, signal }: AttemptContext): Promise<State> {
    const session = setup.sessions.get(target.id)!;
    const connection = session.connection;
    // Shared per-host work: this flow's signal only ends its own wait.
    const staged = await session.stage(signal);
    const dir = flowDir(staged.layout, fanout, index, attempt);
    const where = `branch "${flow.entryPoint}" on ${target.id}`;
    const { sftp, guard } = await session.sftp(signal);
    const ops = sftpOps(sftp);
    let flowEnv: FlowEnv | undefined;
    try {
      try {
        await guard(ops.mkdir(dir, DIR_MODE));
        await guard(ops.writeFile(`${dir}/input.json`, JSON.stringify(flow.state), FILE_MODE));
      } catch (error) {
        if (error instanceof TeaError) throw error;
        throw new TeaError('E_STAGING_FAILED', `${where}: cannot write its input under ${dir}: ${errorMessage(error)}`, { host: target.id, flow: flow.entryPoint, cause: error });
      }
      flowEnv = await setup.env.forFlow(connection, ops, guard, dir, (s) => session.envChecked(s), signal, where);
      const spec = {
        tea: staged.tea,
        workflow: staged.layout.workflow,
        flowDir: dir,
        entryPoint: flow.entryPoint,
        exitPoint: flow.exitPoint,
        killGraceSeconds: setup.remote.kill_grace_seconds,
        ...(flowEnv.envFile === undefined ? {} : { envFile: flowEnv.envFile }),
      };
      const result = await connection.exec(buildRunCommand(spec), signal, flowEnv.execEnv === undefined ? {} : { env: flowEnv.execEnv });
      if (result.code !== 0) {
        // The command line is for debugging (--verbose), not for the one-line error.
        this.context.logger.debug(`${where}: remote command: ${printableRunCommand(spec)}`);
        throw exitError(result, { flow: flow.entryPoint, host: target.id, runner: 'remote' });
      }
      return await readResult(ops, guard, dir, where, target.id, flow.entryPoint);
    } finally {
      // The wrapper deletes the env file before tea starts; this covers an exec that never got that far.
      // Not awaited after an abort: the connection may be gone, and close() removes the run directory.
      if (flowEnv !== undefined && signal.aborted) void flowEnv.discard(ops);
      else if (flowEnv !== undefined) await guard(flowEnv.discard(ops)).catch(() => {});
      // Not awaited: the flow's result need not wait for two more SFTP round trips, and
      // close() removes the whole run directory anyway (rm -rf tolerates a racing unlink).
      if (setup.remote.cleanup && !signal.aborted) void removeFlowDir(ops, guard, dir);
    }
  }

  /** Ends every host session: this run's files removed (the basefile cache stays), connections closed, no timer left. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const setup = this.#setup;
    if (setup === null) return;
    setup.health.shutdown();
    await Promise.all([...setup.sessions.values()].map((session) => session.close()));
    await setup.pool.close();
  }
}

async function readResult(
  ops: ReturnType<typeof sftpOps>,
  guard: <T>(p: Promise<T>) => Promise<T>,
  dir: string,
  where: string,
  host: string,
  flow: string,
): Promise<State> {
  let data: Buffer;
  try {
    data = await guard(ops.readFile(`${dir}/result.json`));
  } catch (error) {
    if (error instanceof TeaError) throw error;
    const code = isNoSuchFile(error) ? 'E_RESULT_MISSING' : 'E_STAGING_FAILED';
    throw new TeaError(code, `${where}: exited 0 but ${dir}/result.json cannot be read: ${errorMessage(error)}`, { host, flow, cause: error });
  }
  return parseBranchResult(data.toString('utf8'), { where, flow, host });
}

/** Best effort, never rejects: a leftover is removed with the run directory at close(). */
async function removeFlowDir(ops: ReturnType<typeof sftpOps>, guard: <T>(p: Promise<T>) => Promise<T>, dir: string): Promise<void> {
  try {
    await guard(Promise.all([ops.unlink(`${dir}/input.json`).catch(() => {}), ops.unlink(`${dir}/result.json`).catch(() => {})]));
    await guard(ops.rmdir(dir));
  } catch {
    /* the run directory is removed as a whole at close() */
  }
}

export function createRemoteExecutor(context: ExecutorContext): ParallelExecutor {
  return new RemoteExecutor(context);
}
