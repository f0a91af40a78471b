import { posix } from 'node:path';
import { deadline } from '../../util/abort';
import type { HostConnection } from '../ssh/connection';
import { isNoSuchFile, type SftpOps } from '../ssh/sftp-ops';
import { execRequest } from '../command/bootstrap';
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
      await this.#with(signal, async (ops) => {
        await ops.fastPut(localPath, temp, options.mode, options.size);
        const uploaded = await ops.stat(temp);
        if (uploaded.size !== options.size) throw new Error(`size mismatch after upload: ${uploaded.size} of ${options.size} bytes`);
      });
      // Outside the lease: with MaxSessions 1 the hash check's exec needs the SFTP channel's slot.
      if (options.sha256 !== undefined) await this.#checkHash(temp, options.sha256, signal);
      await this.#with(signal, (ops) => ops.rename(temp, target));
    } catch (error) {
      // Also when `signal` aborted (Ctrl-C, timeout): its own short bound, so no partial upload stays.
      const bound = deadline(10_000, () => new Error(`removing ${temp} did not finish within 10s`));
      await this.#with(bound.signal, (ops) => ops.unlink(temp)).catch(() => {});
      bound.dispose();
      throw error;
    }
  }

  /** The host's sha256sum (coreutils or BusyBox) when it has one. */
  async #checkHash(path: string, expected: string, signal: AbortSignal): Promise<void> {
    const request = execRequest({ script: 'if command -v sha256sum >/dev/null 2>&1; then sha256sum -b "$1" >&2; fi', args: [path] });
    const result = await this.connection.exec(request.command, signal, { stdin: request.stdin });
    const reported = /(?:^|\n)([0-9a-f]{64})\s/.exec(result.stderrTail)?.[1];
    if (reported !== undefined && reported !== expected) {
      throw new Error(`sha256 mismatch after upload: host has ${reported}, expected ${expected}`);
    }
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
