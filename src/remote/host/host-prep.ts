import type { RemoteConfig } from '../../config/remote';
import { errorMessage, isTeaError } from '../../errors';
import type { EventSink } from '../../events';
import type { Logger } from '../../log';
import { VERSION } from '../../version';
import type { BasefileCatalog } from './basefile';
import type { HostConnection } from '../ssh/connection';
import { PROBE_BUDGET_SECONDS, preflight, unusableError, type PreflightReport } from './preflight';
import { codeCacheToShip } from './code-cache-ship';
import { HostStaging, type StagedRun } from './staging';
import { createTransfer } from '../transfer/transfer-choice';

export interface HostPrepDeps {
  remote: RemoteConfig;
  runId: string;
  catalog: BasefileCatalog;
  workflowText: string;
  /** Env var names that must pass the host's AcceptEnv (env_vars mode ssh_env); none: not checked. */
  acceptEnv: readonly string[];
  logger: Logger;
  events: EventSink;
}

/**
 * One host's way to a staged run: the preflight, once per run and before anything is
 * uploaded, then the staging with the basefile the preflight chose for this host. A host
 * the preflight finds unusable (basefile cannot run, disk, workdir) makes every
 * attempt on it fail with E_HOST_UNUSABLE, which the scheduler answers by excluding the
 * host and sending the flow elsewhere without using a retry. A host it cannot reach is
 * left to the scheduler's transport handling, like any connect failure.
 */
export class HostPrep {
  #checked: Promise<HostStaging> | null = null;
  #staging: HostStaging | null = null;

  constructor(
    private readonly connection: HostConnection,
    private readonly deps: HostPrepDeps,
  ) {}

  get wasStaged(): boolean {
    return this.#staging?.wasStaged ?? false;
  }

  async stage(signal: AbortSignal): Promise<StagedRun> {
    this.#checked ??= this.#check();
    const staging = await raceAbort(this.#checked, signal);
    return staging.stage(signal);
  }

  /** The basefile of staging `generation` vanished from the host: stage again (once for all flows that saw it). */
  async restage(generation: number, signal: AbortSignal): Promise<StagedRun> {
    const staging = await raceAbort(this.#checked ?? this.#check(), signal);
    return staging.restage(generation, signal);
  }

  async #check(): Promise<HostStaging> {
    const { remote, catalog, logger, events } = this.deps;
    const host = this.connection.spec.id;
    // Not any one flow's signal: every flow waiting for this host shares the preflight.
    const budget = this.connection.spec.connectTimeoutSeconds + PROBE_BUDGET_SECONDS;
    const signal = AbortSignal.timeout(budget * 1000);
    let report: PreflightReport;
    try {
      report = await preflight(this.connection, {
        remote,
        catalog,
        workflowBytes: Buffer.byteLength(this.deps.workflowText),
        localVersion: VERSION,
        acceptEnv: this.deps.acceptEnv,
        signal,
      });
    } catch (error) {
      if (!signal.aborted) throw error; // not the host's state (e.g. a bad env var name in the config)
      const address = `${this.connection.spec.host}:${this.connection.spec.port}`;
      report = { host, address, status: 'unusable', reason: `preflight did not finish within ${budget}s (${errorMessage(error)})`, checks: [] };
    }
    if (isTeaError(report.error)) {
      // Could not connect, or lost the connection while probing: the scheduler's transport
      // handling applies (retry elsewhere, breaker, back after half-open; refused key or
      // host key: excluded). The next attempt on this host runs the preflight again.
      this.#checked = null;
      throw report.error;
    }
    events({ type: 'host:checked', host, status: report.status, basefile: report.basefile?.localPath ?? null, reason: report.reason });
    if (report.status === 'unusable' || report.basefile === undefined || report.facts === undefined) throw unusableError(report);
    logger[report.status === 'warn' ? 'warn' : 'info'](`${host}: preflight ${report.status}: ${report.reason}`);
    const codeCache = codeCacheToShip(report.basefile, report.facts);
    const transfer = report.transfer ?? { kind: 'sftp', detail: 'files over SFTP', level: 'ok' };
    logger.info(`${host}: ${transfer.detail}`);
    this.#staging = new HostStaging(this.connection, createTransfer(transfer.kind, this.connection, this.deps.runId), remote.workdir, this.deps.runId, report.basefile, this.deps.workflowText, logger, {
      reuseCached: report.reuseCached === true,
      codeCache,
      loginUid: report.facts.uid,
    });
    return this.#staging;
  }
}

function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
