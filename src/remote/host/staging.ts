import { statSync } from 'node:fs';
import { posix } from 'node:path';
import { TeaError, errorMessage } from '../../errors';
import type { Logger } from '../../log';
import type { Basefile } from './basefile';
import type { ShippedCodeCache } from './code-cache-ship';
import type { HostConnection } from '../ssh/connection';
import { basefilePath, hostSlug, runLayout, sftpPath, type RunLayout } from './layout';
import { DIR_MODE, FILE_MODE, type FileTransfer } from '../transfer/file-transfer';
import { isNoSuchFile } from '../ssh/sftp-ops';
import type { TrustRole } from './workdir-trust';

export interface StagingOptions {
  /** The preflight verified the host's cached basefile (trusted directory, sha256, runs): keep it. */
  reuseCached?: boolean;
  /** The basefile's V8 code cache, put beside it when the host has none (code-cache-ship.ts). */
  codeCache?: ShippedCodeCache | null;
  /** The login user's uid (preflight): every directory is checked against it (workdir-trust.ts). */
  loginUid: number;
  /** The run marker's text (run-marker.ts), written beside the workflow (unless prestaged: the probe wrote it). */
  marker?: string;
  /**
   * The preflight's probe made the workdir, `.cache` and the run directory (checked as the
   * trust rule asks) and wrote the workflow, in its one exec (host-probe.ts): the first staging
   * only ships what is missing. `root` is the workdir's physical path; `codeCaches` the code
   * cache suffixes found beside the verified cached basefile.
   */
  prestaged?: { root: string; codeCaches: readonly string[] } | null;
}

export interface StagedRun {
  layout: RunLayout;
  /** Absolute remote path of the basefile to run as `tea`. */
  tea: string;
  /** How files reach this host (the preflight's choice). */
  transfer: FileTransfer;
  /** Which staging this is: `restage(generation)` redoes it once, however many flows ask. */
  generation: number;
}

/**
 * Puts what a run needs on one host, once: the workdir, the basefile (once per
 * content: uploaded under a temporary name, size- and hash-checked, then renamed
 * into its content-addressed name, so a half upload is never run) and the full
 * workflow YAML (once per run). Over SFTP or exec channels (transfer/).
 */
export class HostStaging {
  #staged: Promise<StagedRun> | null = null;
  #generation = 0;

  constructor(
    private readonly connection: HostConnection,
    private readonly transfer: FileTransfer,
    private readonly workdir: string,
    private readonly runId: string,
    private readonly basefile: Basefile,
    private readonly workflowText: string,
    private readonly logger: Logger,
    private readonly options: StagingOptions,
  ) {}

  get wasStaged(): boolean {
    return this.#staged !== null;
  }

  /** Stages once; a failed staging is retried by the next flow. */
  stage(signal: AbortSignal): Promise<StagedRun> {
    const generation = this.#generation;
    this.#staged ??= this.#stage(signal, generation).catch((error) => {
      if (this.#generation === generation) this.#staged = null;
      throw error;
    });
    return this.#staged;
  }

  /**
   * The basefile went missing after staging `generation` (tmp cleaners): stage again. Flows
   * that saw the same staging fail share one new staging.
   */
  restage(generation: number, signal: AbortSignal): Promise<StagedRun> {
    if (generation === this.#generation) {
      this.#generation += 1;
      this.#staged = null;
      this.logger.warn(`${this.connection.spec.id}: the cached basefile disappeared from the host (a tmp cleaner?): staging it again`);
    }
    return this.stage(signal);
  }

  async #stage(signal: AbortSignal, generation: number): Promise<StagedRun> {
    const host = this.connection.spec.id;
    const { transfer } = this;
    const step = async <T>(what: string, work: () => Promise<T>): Promise<T> => {
      try {
        return await work();
      } catch (error) {
        if (error instanceof TeaError || signal.aborted) throw error;
        throw new TeaError('E_STAGING_FAILED', `${host}: ${what}: ${errorMessage(error)}`, { host, cause: error });
      }
    };
    const prestaged = generation === 0 ? (this.options.prestaged ?? null) : null;
    if (prestaged !== null) return this.#shipMissing(prestaged, generation, signal);
    // Every directory on the way is created 0700, or checked (owner, mode, no symlink) when it
    // exists, before anything is written into it: the preflight checked what existed then.
    const relative = sftpPath(this.workdir);
    const names = relative.split('/').filter((p) => p !== '' && p !== '.');
    const trusted = (base: string, more: readonly string[], roleOf: (index: number) => TrustRole) =>
      transfer.ensureTrustedDir(base, more, { loginUid: this.options.loginUid, host, workdir: this.workdir, roleOf }, signal);
    const root = await step(`cannot create workdir ${this.workdir} (is it writable?)`, () =>
      trusted(relative.startsWith('/') ? '' : '.', names, (i) => (i === names.length - 1 ? 'workdir' : 'anc')),
    );
    const layout = runLayout(root, this.runId, hostSlug(host));
    await step(`cannot create ${layout.cacheDir}`, () => trusted(root, ['.cache'], () => 'cache'));
    const tea = basefilePath(layout, this.basefile.sha256);
    await step(`cannot upload the basefile to ${tea} (disk full?)`, () => this.#putBasefile(tea, signal));
    const codeCache = this.options.codeCache ?? null;
    // A basefile just uploaded has no code cache worth keeping beside it: no stat first (a round trip).
    const uploaded = !(this.options.reuseCached === true && generation === 0);
    if (codeCache !== null) await this.#putCodeCache(codeCache, `${tea}${codeCache.suffix}`, signal, uploaded);
    // Checked like the rest; one per host (layout.ts), so hosts sharing an NFS home never share it.
    await step(`cannot create ${layout.runDir}`, () => trusted(root, [posix.basename(layout.runDir)], () => 'run'));
    const marker = this.options.marker;
    await step(`cannot write ${layout.workflow} (disk full?)`, () =>
      Promise.all([
        transfer.writeFile(layout.workflow, this.workflowText, FILE_MODE, signal),
        // Before the first branch: a directory without it is judged by its mtime, so it is safe either way.
        marker === undefined ? null : transfer.writeFile(layout.marker, marker, FILE_MODE, signal),
      ]),
    );
    return { layout, tea, transfer, generation };
  }

  /**
   * The first staging after a probe that staged (StagingOptions.prestaged): directories and
   * workflow are there; the basefile is uploaded unless the probe verified the cached copy (in
   * the same exec, moments ago: a copy that vanishes later is restaged), and its code cache
   * unless one is there. Both uploads share the SFTP channel at once (pipelined).
   */
  async #shipMissing(prestaged: { root: string; codeCaches: readonly string[] }, generation: number, signal: AbortSignal): Promise<StagedRun> {
    const host = this.connection.spec.id;
    const layout = runLayout(prestaged.root, this.runId, hostSlug(host));
    const tea = basefilePath(layout, this.basefile.sha256);
    const codeCache = this.options.codeCache ?? null;
    const reuse = this.options.reuseCached === true;
    const uploads: Promise<void>[] = [];
    if (!reuse) {
      uploads.push(
        this.#putBasefile(tea, signal).catch((error: unknown) => {
          if (error instanceof TeaError || signal.aborted) throw error;
          throw new TeaError('E_STAGING_FAILED', `${host}: cannot upload the basefile to ${tea} (disk full?): ${errorMessage(error)}`, { host, cause: error });
        }),
      );
    }
    if (codeCache !== null && !(reuse && prestaged.codeCaches.includes(codeCache.suffix))) {
      uploads.push(this.#putCodeCache(codeCache, `${tea}${codeCache.suffix}`, signal, !reuse));
    }
    const settled = await Promise.allSettled(uploads);
    const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
    return { layout, tea, transfer: this.transfer, generation };
  }

  async #putBasefile(target: string, signal: AbortSignal): Promise<void> {
    // Kept only when the preflight verified it (trusted directory, owner, sha256, runs) and it
    // is still there (a restage after it vanished uploads); anything else is replaced by an
    // atomic rename, never run.
    if (this.options.reuseCached === true && this.#generation === 0 && (await this.transfer.size(target, signal)) === this.basefile.size) return;
    const started = Date.now();
    await this.transfer.putFile(this.basefile.localPath, target, { mode: 0o700, size: this.basefile.size, sha256: this.basefile.sha256 }, signal);
    this.logger.info(`${this.connection.spec.id}: uploaded basefile (${this.basefile.size} bytes, over ${this.transfer.kind}) in ${Date.now() - started} ms`);
  }

  /** Best effort: without it the host's first runs write their own. */
  async #putCodeCache(cache: ShippedCodeCache, target: string, signal: AbortSignal, knownMissing = false): Promise<void> {
    try {
      if (!knownMissing && (await this.transfer.size(target, signal)) !== null) return;
      await this.transfer.putFile(cache.localPath, target, { mode: FILE_MODE, size: statSync(cache.localPath).size }, signal);
      this.logger.debug(`${this.connection.spec.id}: staged the basefile's code cache ${target}`);
    } catch (error) {
      if (error instanceof TeaError) throw error;
      this.logger.debug(`${this.connection.spec.id}: could not stage the code cache ${target}: ${errorMessage(error)}`);
    }
  }
}

export { isNoSuchFile, DIR_MODE, FILE_MODE };
