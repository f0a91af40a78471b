import type { RemoteConfig } from '../../config/remote';
import { TeaError, errorMessage, isTeaError } from '../../errors';
import type { EventSink } from '../../events';
import type { Logger } from '../../log';
import { VERSION } from '../../version';
import { deadline, raceAbort } from '../../util/abort';
import { execRequest } from '../command/bootstrap';
import type { HostConnection } from '../ssh/connection';
import type { BasefileCatalog } from './basefile';
import { codeCacheToShip } from './code-cache-ship';
import type { EnvTransfer } from './env-transfer';
import { describeLeftovers } from './leftovers';
import { PROBE_BUDGET_SECONDS, preflight, unusableError, type PreflightReport } from './preflight';
import { heartbeatSeconds, markerText, type RunMarker } from './run-marker';
import { HostStaging, type StagedRun } from './staging';
import { posix } from 'node:path';
import { hostSlug, runDirName, runLayout } from './layout';
import { createTransfer } from '../transfer/transfer-choice';

export interface HostSessionDeps {
  remote: RemoteConfig;
  runId: string;
  catalog: BasefileCatalog;
  workflowText: string;
  /** Env var names that must pass the host's AcceptEnv (env_vars mode ssh_env); none: not checked. */
  acceptEnv: readonly string[];
  env: EnvTransfer;
  logger: Logger;
  events: EventSink;
}

/** Bound on the once-per-host staging (workdir, basefile upload and hash check, workflow). */
export const STAGING_BUDGET_SECONDS = 300;

/**
 * One host for the length of one run: the owner of everything done once per host
 * (the connection, the preflight, the staging, the env probe, the SFTP channel) and
 * of their timers. Every once-per-host step runs under the session's own budget and
 * lifetime, never under the signal of the flow that happened to ask first: a flow
 * that times out only stops *waiting* (its own signal), the step goes on for the
 * others. A step that fails is run again by the next flow that asks. `close()`
 * aborts what is in flight, removes this run's files (when `cleanup`) and closes
 * the connection: nothing of the session is left running.
 *
 * The per-flow path (the executor) asks it for `stage(signal)`, `sftp(signal)` and
 * `envChecked(signal)`, and runs its command on `connection`.
 */
export class HostSession {
  readonly #lifetime = new AbortController();
  #checked: Promise<HostStaging> | null = null;
  #ready: Promise<StagedRun> | null = null;
  #staged: StagedRun | null = null;
  #stagingStarted = false;
  #envProbe: Promise<void> | null = null;
  #closed = false;
  #heartbeat: NodeJS.Timeout | null = null;
  /** This run's marker on this host (run-marker.ts), rewritten as the heartbeat. */
  readonly #marker: string;
  readonly #markerFields: RunMarker;
  /** The run directory the preflight's probe made (staging in the same exec), removed by close(). */
  #runDirMade: string | null = null;

  constructor(
    readonly connection: HostConnection,
    private readonly deps: HostSessionDeps,
  ) {
    this.#markerFields = { runId: deps.runId, deadAfterSeconds: deps.remote.stale_run_seconds, keep: !deps.remote.cleanup, startedAt: new Date() };
    this.#marker = markerText(this.#markerFields);
  }

  get host(): string {
    return this.connection.spec.id;
  }

  /** Whether this run put anything on the host (its run directory may exist). */
  get wasStaged(): boolean {
    return this.#stagingStarted || this.#runDirMade !== null;
  }

  /** The preflight, then the staging, once per run; resolves when the host is ready for flows. */
  stage(signal: AbortSignal): Promise<StagedRun> {
    if (this.#closed) return Promise.reject(new TeaError('E_CANCELLED', `${this.host}: the run is closing`, { host: this.host }));
    if (this.#ready === null) {
      const ready = this.#prepare();
      this.#ready = ready;
      ready.then(
        (staged) => {
          this.#staged = staged;
          this.#startHeartbeat();
        },
        () => {
          if (this.#ready === ready) this.#ready = null; // the next flow tries again
        },
      );
    }
    return raceAbort(this.#ready, signal);
  }

  /**
   * The basefile of staging `generation` vanished from the host (a tmp cleaner): stage
   * again, once for every flow that saw it, under the session's budget.
   */
  restage(generation: number, signal: AbortSignal): Promise<StagedRun> {
    if (this.#closed) return Promise.reject(new TeaError('E_CANCELLED', `${this.host}: the run is closing`, { host: this.host }));
    const restaged = (async () => {
      const staging = await (this.#checked ??= this.#check());
      const bound = this.#bounded(STAGING_BUDGET_SECONDS, 'staging');
      try {
        return await staging.restage(generation, bound.signal);
      } finally {
        bound.dispose();
      }
    })();
    restaged.then((staged) => (this.#staged = staged), () => {});
    return raceAbort(restaged, signal);
  }

  /** env_vars mode ssh_env: which names sshd's AcceptEnv drops, checked once per host. */
  envChecked(signal: AbortSignal): Promise<void> {
    if (this.#envProbe === null) {
      const budget = this.connection.spec.connectTimeoutSeconds + PROBE_BUDGET_SECONDS;
      const bound = this.#bounded(budget, 'the environment probe');
      const probe = this.deps.env.probe(this.connection, bound.signal).finally(bound.dispose);
      this.#envProbe = probe;
      probe.catch(() => {
        if (this.#envProbe === probe) this.#envProbe = null;
      });
    }
    return raceAbort(this.#envProbe, signal);
  }

  async #prepare(): Promise<StagedRun> {
    // Once per run; only a host that could not be reached is checked again (the scheduler retries it).
    this.#checked ??= this.#check();
    const staging = await this.#checked;
    this.#stagingStarted = true;
    const bound = this.#bounded(STAGING_BUDGET_SECONDS, 'staging');
    try {
      return await staging.stage(bound.signal);
    } finally {
      bound.dispose();
    }
  }

  /**
   * The preflight, before anything is uploaded: a host it finds unusable (basefile
   * cannot run, disk, workdir) fails with E_HOST_UNUSABLE, which the scheduler answers
   * by excluding the host. A host it cannot reach is left to the scheduler's transport
   * handling, like any connect failure (the next attempt runs the preflight again).
   */
  async #check(): Promise<HostStaging> {
    const { remote, catalog, logger, events } = this.deps;
    const host = this.host;
    const budget = this.connection.spec.connectTimeoutSeconds + PROBE_BUDGET_SECONDS;
    const bound = this.#bounded(budget, 'the preflight');
    let report: PreflightReport;
    try {
      report = await preflight(this.connection, {
        remote,
        catalog,
        workflowBytes: Buffer.byteLength(this.deps.workflowText),
        localVersion: VERSION,
        acceptEnv: this.deps.acceptEnv,
        // Dead runs' leftovers go in the same exec, after the trust check (leftovers.ts).
        leftovers: 'clean',
        // The staging's directories, the workflow and the run marker go with the probe's exec (issue 21: round trips).
        stage: { runDirName: runDirName(this.deps.runId, hostSlug(this.host)), workflow: this.deps.workflowText, marker: this.#marker },
        signal: bound.signal,
      });
    } catch (error) {
      if (!bound.signal.aborted || this.#lifetime.signal.aborted) throw error; // not the host's state (e.g. a bad env var name)
      const address = `${this.connection.spec.host}:${this.connection.spec.port}`;
      report = { host, address, status: 'unusable', reason: `preflight did not finish within ${budget}s (${errorMessage(error)})`, checks: [] };
    } finally {
      bound.dispose();
    }
    const usable = report.status !== 'unusable' && report.basefile !== undefined && report.facts !== undefined;
    // The probe staged (made this run's directory, wrote the workflow) before the client judged
    // the host: an unusable host loses it again; a usable one's is this run's to remove at close.
    // `.cache` stays either way: hosts sharing the filesystem may be using it already.
    const runDirMade = (report.facts?.made ?? []).find((d) => posix.basename(d) === runDirName(this.deps.runId, hostSlug(host)));
    if (!usable && runDirMade !== undefined) await this.#unmake(runDirMade);
    else if (report.facts?.root != null) this.#runDirMade = runLayout(report.facts.root, this.deps.runId, hostSlug(host)).runDir;
    if (isTeaError(report.error)) {
      // Could not connect, or lost the connection while probing: the scheduler's transport
      // handling applies, and the next attempt on this host runs the preflight again.
      this.#checked = null;
      throw report.error;
    }
    events({ type: 'host:checked', host, status: report.status, basefile: report.basefile?.localPath ?? null, reason: report.reason });
    if (report.status === 'unusable' || report.basefile === undefined || report.facts === undefined) throw unusableError(report);
    logger[report.status === 'warn' ? 'warn' : 'info'](`${host}: preflight ${report.status}: ${report.reason}`);
    const leftovers = describeLeftovers(report.facts.leftovers);
    if (leftovers !== null) logger.info(`${host}: ${leftovers}`);
    const codeCache = codeCacheToShip(report.basefile, report.facts);
    // How files reach this host (SFTP, or exec channels when SFTP is unusable): the preflight's choice.
    const transfer = report.transfer ?? { kind: 'sftp', detail: 'files over SFTP', level: 'ok' };
    logger.info(`${host}: ${transfer.detail}`);
    return new HostStaging(this.connection, createTransfer(transfer.kind, this.connection, this.deps.runId), remote.workdir, this.deps.runId, report.basefile, this.deps.workflowText, logger, {
      reuseCached: report.reuseCached === true,
      codeCache,
      loginUid: report.facts.uid,
      marker: this.#marker,
      prestaged: report.facts.root == null ? null : { root: report.facts.root, codeCaches: report.cachedCodeCaches ?? [] },
    });
  }

  /** Removes the run directory the probe made on a host found unusable (bounded; a failure is only logged). */
  async #unmake(runDir: string): Promise<void> {
    const bound = deadline(30_000, () => new TeaError('E_TIMEOUT', `removing ${runDir} did not finish within 30s`), this.#lifetime.signal);
    try {
      const request = execRequest({ script: 'rm -rf -- "$1"', args: [runDir] });
      const result = await this.connection.exec(request.command, bound.signal, { stdin: request.stdin });
      if (result.code !== 0) throw new Error(result.stderrTail || `exit ${result.code}`);
    } catch (error) {
      this.deps.logger.warn(`${this.host}: could not remove ${runDir}, which the preflight made: remove it by hand: ${errorMessage(error)}`);
    } finally {
      bound.dispose();
    }
  }

  /**
   * Rewrites the run marker every fifth of stale_run_seconds while the session lives, so a
   * later run never takes this run's directory for a dead one (leftovers.ts). A beat that
   * cannot get through (host busy or lost) is skipped: four in a row may fail, and a branch
   * still running keeps the directory live on its own.
   */
  #startHeartbeat(): void {
    if (this.#heartbeat !== null || this.#closed) return;
    const seconds = heartbeatSeconds(this.deps.remote.stale_run_seconds);
    let beating = false;
    this.#heartbeat = setInterval(() => {
      const staged = this.#staged;
      if (beating || staged === null || this.#closed) return;
      beating = true;
      const bound = this.#bounded(seconds, 'the run marker heartbeat');
      staged.transfer
        .writeFile(staged.layout.marker, this.#marker, 0o600, bound.signal)
        .catch((error: unknown) => this.deps.logger.debug(`${this.host}: run marker heartbeat skipped: ${errorMessage(error)}`))
        .finally(() => {
          bound.dispose();
          beating = false;
        });
    }, seconds * 1000);
    this.#heartbeat.unref();
  }

  /** A signal for one once-per-host step: its own budget, and the session's lifetime. */
  #bounded(seconds: number, what: string) {
    const host = this.host;
    return deadline(
      seconds * 1000,
      () => new TeaError('E_STAGING_FAILED', `${host}: ${what} did not finish within ${seconds}s`, { host }),
      this.#lifetime.signal,
    );
  }

  /**
   * Ends the session: stops what is in flight, removes this run's directory from the
   * host when `cleanup` is set (bounded; a failure is logged with the path to remove),
   * then closes the connection. Safe to call twice.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const { remote, logger } = this.deps;
    // A staging still in flight may yet create the run directory: let it finish (bounded) so it can be removed.
    if (this.#ready !== null && this.#staged === null && remote.cleanup) {
      const wait = deadline(this.connection.spec.connectTimeoutSeconds * 1000, () => new Error('staging still running'));
      await raceAbort(this.#ready, wait.signal).catch(() => null);
      wait.dispose();
    }
    if (this.#heartbeat !== null) clearInterval(this.#heartbeat);
    this.#lifetime.abort(new TeaError('E_CANCELLED', `${this.host}: the run is closing`, { host: this.host }));
    // An upload cut short removes its temporary file on the way out (transfer/): let it, bounded.
    if (this.#ready !== null && this.#staged === null) {
      const wait = deadline(10_000, () => new Error('staging still unwinding'));
      await raceAbort(this.#ready, wait.signal).catch(() => null);
      wait.dispose();
    }
    if (!remote.cleanup && this.#staged !== null) {
      // Kept on purpose: marked as ended, so no later run mistakes it for live or removes it (leftovers.ts).
      const staged = this.#staged;
      const bound = deadline(10_000, () => new TeaError('E_TIMEOUT', `marking ${staged.layout.runDir} as ended did not finish within 10s`));
      await staged.transfer
        .writeFile(staged.layout.marker, markerText({ ...this.#markerFields, ended: true }), 0o600, bound.signal)
        .catch((error: unknown) => logger.debug(`${this.host}: could not mark ${staged.layout.runDir} as ended: ${errorMessage(error)}`))
        .finally(bound.dispose);
    }
    const runDir = this.#staged?.layout.runDir ?? this.#runDirMade;
    if (remote.cleanup && runDir !== null) {
      const dir = runDir;
      const bound = deadline(30_000, () => new TeaError('E_TIMEOUT', `removing ${dir} did not finish within 30s`));
      try {
        const request = execRequest({ script: 'rm -rf -- "$1"', args: [dir] });
        const result = await this.connection.exec(request.command, bound.signal, { stdin: request.stdin });
        if (result.code !== 0) throw new Error(result.stderrTail || `rm exited ${result.code}`);
      } catch (error) {
        logger.warn(`${this.host}: cleanup failed, remove ${dir} by hand: ${errorMessage(error)}`);
      } finally {
        bound.dispose();
      }
    }
    await this.connection.close();
  }
}
