import { randomBytes } from 'node:crypto';
import { posix } from 'node:path';
import { TeaError, errorMessage } from '../../errors';
import type { Logger } from '../../log';
import type { Basefile } from './basefile';
import type { ShippedCodeCache } from './code-cache-ship';
import type { HostConnection } from '../ssh/connection';
import { basefilePath, runLayout, sftpPath, type RunLayout } from './layout';
import { quote } from '../command/quote';
import { ensureTrustedDirs, type TrustRole } from './workdir-trust';
import { isNoSuchFile, sftpOps, type SftpOps } from '../ssh/sftp-ops';

export interface StagingOptions {
  /** The preflight verified the host's cached basefile (trusted directory, sha256, runs): keep it. */
  reuseCached?: boolean;
  /** The basefile's V8 code cache, put beside it when the host has none (code-cache-ship.ts). */
  codeCache?: ShippedCodeCache | null;
  /** The login user's uid (preflight): every directory is checked against it. */
  loginUid: number;
}

export interface StagedRun {
  layout: RunLayout;
  /** Absolute remote path of the basefile to run as `tea`. */
  tea: string;
}

const DIR_MODE = 0o700; // states can hold secrets
const FILE_MODE = 0o600;

/**
 * Puts what a run needs on one host, once: the workdir, the basefile (once per
 * content: uploaded under a temporary name, size- and hash-checked, then renamed
 * into its content-addressed name, so a half upload is never run) and the full
 * workflow YAML (once per run).
 */
export class HostStaging {
  #staged: Promise<StagedRun> | null = null;

  constructor(
    private readonly connection: HostConnection,
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
    this.#staged ??= this.#stage(signal).catch((error) => {
      this.#staged = null;
      throw error;
    });
    return this.#staged;
  }

  async #stage(signal: AbortSignal): Promise<StagedRun> {
    const host = this.connection.spec.id;
    const { sftp, guard } = await this.connection.sftp(signal);
    const ops = sftpOps(sftp);
    const step = async <T>(what: string, work: () => Promise<T>): Promise<T> => {
      try {
        return await guard(work());
      } catch (error) {
        if (error instanceof TeaError) throw error;
        throw new TeaError('E_STAGING_FAILED', `${host}: ${what}: ${errorMessage(error)}`, { host, cause: error });
      }
    };
    // Every directory on the way is created 0700 or checked (lstat: owner, mode, no symlink)
    // before anything is written into it: the preflight checked what existed then.
    const relative = sftpPath(this.workdir);
    const names = relative.split('/').filter((p) => p !== '' && p !== '.');
    const trusted = (base: string, more: readonly string[], roleOf: (index: number) => TrustRole) =>
      ensureTrustedDirs(ops, base, more, { loginUid: this.options.loginUid, host, workdir: this.workdir, roleOf });
    const root = await step(`cannot create workdir ${this.workdir} (is it writable?)`, async () =>
      ops.realpath(await trusted(relative.startsWith('/') ? '' : '.', names, (i) => (i === names.length - 1 ? 'workdir' : 'anc'))),
    );
    const layout = runLayout(root, this.runId);
    await step(`cannot create ${layout.cacheDir}`, () => trusted(root, ['.cache'], () => 'cache'));
    const tea = basefilePath(layout, this.basefile.sha256);
    await step(`cannot upload the basefile to ${tea} (disk full?)`, () => this.#putBasefile(ops, tea, signal));
    const codeCache = this.options.codeCache ?? null;
    if (codeCache !== null) await guard(this.#putCodeCache(ops, codeCache, `${tea}${codeCache.suffix}`));
    // Checked like the rest: hosts sharing a filesystem (NFS homes) may share the run directory too.
    await step(`cannot create ${layout.runDir}`, () => trusted(root, [posix.basename(layout.runDir)], () => 'run'));
    await step(`cannot write ${layout.workflow} (disk full?)`, () => ops.writeFile(layout.workflow, this.workflowText, FILE_MODE));
    return { layout, tea };
  }

  async #putBasefile(ops: SftpOps, target: string, signal: AbortSignal): Promise<void> {
    // Kept only when the preflight verified it (trusted directory, owner, sha256, runs);
    // anything else there is replaced by an atomic rename, never run.
    if (this.options.reuseCached === true) return;
    const started = Date.now();
    await this.#putAtomically(ops, this.basefile.localPath, target, 0o700, async (temp) => {
      const uploaded = await ops.stat(temp);
      if (uploaded.size !== this.basefile.size) {
        throw new Error(`size mismatch after upload: ${uploaded.size} of ${this.basefile.size} bytes`);
      }
      await this.#checkHash(temp, signal);
    });
    this.logger.info(`${this.connection.spec.id}: uploaded basefile (${this.basefile.size} bytes) in ${Date.now() - started} ms`);
  }

  /** Best effort: without it the host's first runs write their own. */
  async #putCodeCache(ops: SftpOps, cache: ShippedCodeCache, target: string): Promise<void> {
    if ((await ops.stat(target).catch(() => null)) !== null) return;
    try {
      await this.#putAtomically(ops, cache.localPath, target, FILE_MODE);
      this.logger.debug(`${this.connection.spec.id}: staged the basefile's code cache ${target}`);
    } catch (error) {
      this.logger.debug(`${this.connection.spec.id}: could not stage the code cache ${target}: ${errorMessage(error)}`);
    }
  }

  /**
   * Uploads to a temporary name beside `target`, checks it (`verify`), then renames it into
   * place, so nothing ever runs or reads half a file; the temporary file goes on failure.
   */
  async #putAtomically(ops: SftpOps, localPath: string, target: string, mode: number, verify?: (temp: string) => Promise<void>): Promise<void> {
    const temp = `${target}.tmp-${this.runId}-${randomBytes(4).toString('hex')}`;
    try {
      await ops.fastPut(localPath, temp, mode);
      await verify?.(temp);
      await ops.rename(temp, target);
    } catch (error) {
      await ops.unlink(temp).catch(() => {});
      throw error;
    }
  }

  /** Checks the upload with the host's sha256sum when it has one (coreutils; busybox has it too). */
  async #checkHash(path: string, signal: AbortSignal): Promise<void> {
    const command = `if command -v sha256sum >/dev/null 2>&1; then sha256sum -b ${quote(path)} >&2; fi`;
    const result = await this.connection.exec(command, signal);
    const reported = /^([0-9a-f]{64})\s/.exec(result.stderrTail)?.[1];
    if (reported !== undefined && reported !== this.basefile.sha256) {
      throw new Error(`sha256 mismatch after upload: host has ${reported}, expected ${this.basefile.sha256}`);
    }
  }
}

export { isNoSuchFile, DIR_MODE, FILE_MODE };
