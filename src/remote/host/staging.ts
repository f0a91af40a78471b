import { randomBytes } from 'node:crypto';
import { posix } from 'node:path';
import { TeaError, errorMessage } from '../../errors';
import type { Logger } from '../../log';
import type { Basefile } from './basefile';
import type { ShippedCodeCache } from './code-cache-ship';
import type { HostConnection } from '../ssh/connection';
import { basefilePath, runLayout, sftpPath, type RunLayout } from './layout';
import { execRequest } from '../command/bootstrap';
import { isNoSuchFile, sftpOps, type SftpOps } from '../ssh/sftp-ops';

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
    /** The host's cached copy was found not to run (preflight): upload over it even when its size matches. */
    private readonly replaceCached = false,
    /** The basefile's V8 code cache, put beside it when the host has none (code-cache-ship.ts). */
    private readonly codeCache: ShippedCodeCache | null = null,
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
    const root = await step(`cannot create workdir ${this.workdir} (is it writable?)`, async () => {
      await mkdirp(ops, sftpPath(this.workdir));
      return ops.realpath(sftpPath(this.workdir));
    });
    const layout = runLayout(root, this.runId);
    await step(`cannot create ${layout.cacheDir}`, () => mkdirp(ops, layout.cacheDir));
    const tea = basefilePath(layout, this.basefile.sha256);
    await step(`cannot upload the basefile to ${tea} (disk full?)`, () => this.#putBasefile(ops, tea, signal));
    if (this.codeCache !== null) await guard(this.#putCodeCache(ops, this.codeCache, `${tea}${this.codeCache.suffix}`));
    // mkdirp, not mkdir: hosts sharing a filesystem (NFS homes) share the run directory too.
    await step(`cannot create ${layout.runDir}`, () => mkdirp(ops, layout.runDir));
    await step(`cannot write ${layout.workflow} (disk full?)`, () => ops.writeFile(layout.workflow, this.workflowText, FILE_MODE));
    return { layout, tea };
  }

  async #putBasefile(ops: SftpOps, target: string, signal: AbortSignal): Promise<void> {
    const existing = await ops.stat(target).catch(() => null);
    // Content-addressed: same name, same bytes (unless the preflight saw that copy fail to run).
    if (existing !== null && existing.size === this.basefile.size && !this.replaceCached) return;
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
    const request = execRequest({ script: 'if command -v sha256sum >/dev/null 2>&1; then sha256sum -b "$1" >&2; fi', args: [path] });
    const result = await this.connection.exec(request.command, signal, { stdin: request.stdin });
    const reported = /^([0-9a-f]{64})\s/.exec(result.stderrTail)?.[1];
    if (reported !== undefined && reported !== this.basefile.sha256) {
      throw new Error(`sha256 mismatch after upload: host has ${reported}, expected ${this.basefile.sha256}`);
    }
  }
}

/** `mkdir -p` over SFTP: creates missing components with mode 0700. */
async function mkdirp(ops: SftpOps, path: string): Promise<void> {
  const absolute = path.startsWith('/');
  const parts = path.split('/').filter((p) => p !== '' && p !== '.');
  let current = absolute ? '/' : '';
  for (const part of parts) {
    current = current === '' ? part : posix.join(current, part);
    try {
      await ops.mkdir(current, DIR_MODE);
    } catch (error) {
      const stat = await ops.stat(current).catch(() => null);
      if (stat === null || !stat.isDirectory()) throw error;
    }
  }
}

export { isNoSuchFile, DIR_MODE, FILE_MODE };
