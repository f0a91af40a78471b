import type { SFTPWrapper, Stats } from 'ssh2';

/** Promise forms of the few ssh2 SFTP calls we use (one channel, requests pipelined). */
export const sftpOps = (sftp: SFTPWrapper) => ({
  stat: (path: string) => new Promise<Stats>((res, rej) => sftp.stat(path, (e, s) => (e ? rej(e) : res(s)))),
  /** Never follows a symlink: what the path itself is (workdir trust checks). */
  lstat: (path: string) => new Promise<Stats>((res, rej) => sftp.lstat(path, (e, s) => (e ? rej(e) : res(s)))),
  mkdir: (path: string, mode: number) => new Promise<void>((res, rej) => sftp.mkdir(path, { mode }, (e) => (e ? rej(e) : res()))),
  realpath: (path: string) => new Promise<string>((res, rej) => sftp.realpath(path, (e, p) => (e ? rej(e) : res(p)))),
  writeFile: (path: string, data: string | Buffer, mode: number) =>
    new Promise<void>((res, rej) => sftp.writeFile(path, data, { mode }, (e) => (e ? rej(e) : res()))),
  readFile: (path: string) => new Promise<Buffer>((res, rej) => sftp.readFile(path, (e, d) => (e ? rej(e) : res(d)))),
  /** `bytes` only sizes the deadline (connection.ts). */
  fastPut: (local: string, remote: string, mode: number, _bytes?: number) =>
    new Promise<void>((res, rej) =>
      sftp.fastPut(local, remote, { concurrency: 64, chunkSize: 32768, mode }, (e) => (e ? rej(e) : res())),
    ),
  rename: (from: string, to: string) => new Promise<void>((res, rej) => sftp.ext_openssh_rename(from, to, (e) => (e ? rej(e) : res()))),
  unlink: (path: string) => new Promise<void>((res, rej) => sftp.unlink(path, (e) => (e ? rej(e) : res()))),
  rmdir: (path: string) => new Promise<void>((res, rej) => sftp.rmdir(path, (e) => (e ? rej(e) : res()))),
});

export type SftpOps = ReturnType<typeof sftpOps>;

/** SFTP status 2: no such file. */
export function isNoSuchFile(error: unknown): boolean {
  return (error as { code?: number }).code === 2;
}
