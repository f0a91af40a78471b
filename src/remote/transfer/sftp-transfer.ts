import { posix } from 'node:path';
import { deadline } from '../../util/abort';
import type { HostConnection } from '../ssh/connection';
import { isNoSuchFile, type SftpOps } from '../ssh/sftp-ops';
import { BAD_HASH, BAD_SIZE, scriptRequest } from './exec-scripts';
import { ensureTrustedDirs, type TrustCheck } from '../host/workdir-trust';
import { DIR_MODE, NoSuchFileError, uploadTempName, type FileTransfer, type PutOptions } from './file-transfer';

/**
 * Files over the connection's SFTP channel. Each operation leases the channel only for its
 * own requests, so the channel can be closed between them when exec needs its slot
 * (MaxSessions 1), and never while a request is in flight. Deadlines: connection.ts.
 */
export class SftpTransfer implements FileTransfer {
  readonly kind = 'sftp' as const;

  constructor(
    private readonly connection: HostConnection,
    private readonly runId: string,
  ) {}

  async #with<T>(signal: AbortSignal, work: (ops: SftpOps) => Promise<T>): Promise<T> {
    const lease = await this.connection.sftpLease(signal);
    try {
      return await work(lease.ops);
    } finally {
      lease.release();
    }
  }

  ensureDir(path: string, signal: AbortSignal): Promise<string> {
    return this.#with(signal, async (ops) => {
      await mkdirp(ops, path);
      return ops.realpath(path);
    });
  }

  ensureTrustedDir(base: string, names: readonly string[], check: TrustCheck, signal: AbortSignal): Promise<string> {
    return this.#with(signal, async (ops) => ops.realpath(await ensureTrustedDirs(ops, base, names, check)));
  }

  size(path: string, signal: AbortSignal): Promise<number | null> {
    return this.#with(signal, (ops) =>
      ops.stat(path).then(
        (stats) => stats.size,
        (error: unknown) => {
          if (isNoSuchFile(error)) return null;
          throw error;
        },
      ),
    );
  }

  async putFile(localPath: string, target: string, options: PutOptions, signal: AbortSignal): Promise<void> {
    const temp = uploadTempName(target, this.runId);
    try {
      await this.#with(signal, (ops) => ops.fastPut(localPath, temp, options.mode, options.size));
    } catch (error) {
      await this.#removeTemp(temp);
      throw error;
    }
    // Size, sha256 (when the host has sha256sum) and the rename in one exec: one round trip of
    // requests, not three. Outside the lease: with MaxSessions 1 the exec needs the SFTP channel's slot.
    const request = scriptRequest('settle', [temp, target, String(options.size), options.sha256 ?? '-']);
    let result: Awaited<ReturnType<HostConnection['exec']>>;
    try {
      result = await this.connection.exec(request.command, signal, { stdin: request.stdin as Buffer });
    } catch (error) {
      await this.#removeTemp(temp);
      throw error;
    }
    if (result.code === 0) return;
    const why = result.stderrTail.trim().split('\n').pop() ?? '';
    if (result.code !== BAD_SIZE && result.code !== BAD_HASH) {
      await this.#removeTemp(temp);
      throw new Error(`cannot move the upload into ${target}: ${why || `exit ${result.code}`}`);
    }
    throw new Error(why.replace(/^tea: /, '') || `the upload to ${target} arrived damaged`);
  }

  /**
   * A cut-short upload's temporary file goes on every failure path, also when the caller's
   * signal aborted (Ctrl-C, timeout): under its own short bound. A host that no longer answers
   * keeps it until a later run's leftover sweep (host/leftovers.ts).
   */
  async #removeTemp(temp: string): Promise<void> {
    const bound = deadline(10_000, () => new Error(`removing ${temp} did not finish within 10s`));
    await this.#with(bound.signal, (ops) => ops.unlink(temp)).catch(() => {});
    bound.dispose();
  }

  writeFile(path: string, data: string | Buffer, mode: number, signal: AbortSignal): Promise<void> {
    return this.#with(signal, (ops) => ops.writeFile(path, data, mode));
  }

  readFile(path: string, maxBytes: number, signal: AbortSignal): Promise<Buffer> {
    return this.#with(signal, async (ops) => {
      const stats = await ops.stat(path).catch((error: unknown) => {
        if (isNoSuchFile(error)) throw new NoSuchFileError(path);
        throw error;
      });
      if (stats.size > maxBytes) throw new Error(`${path} has ${stats.size} bytes, more than the ${maxBytes} allowed`);
      return ops.readFile(path);
    });
  }

  /** In order, each as a file, else as an empty directory; missing ones are fine. */
  remove(paths: readonly string[], signal: AbortSignal): Promise<void> {
    return this.#with(signal, async (ops) => {
      for (const path of paths) {
        await ops.unlink(path).catch((error: unknown) => {
          if (isNoSuchFile(error)) return;
          return ops.rmdir(path).catch((again: unknown) => {
            if (!isNoSuchFile(again)) throw again;
          });
        });
      }
    });
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
