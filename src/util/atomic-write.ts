import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';

/**
 * Writes a file so that readers see the old one or the whole new one, never a part: a temp
 * file beside the target (same file system, so the rename is atomic), created exclusively
 * (`wx`: a name someone else made is never written through), flushed to disk, then renamed
 * over the target. On failure the temp file is removed and the error rethrown.
 */
export async function writeFileAtomic(file: string, data: string | Buffer, mode = 0o600): Promise<void> {
  const temp = tempName(file);
  try {
    const handle = await open(temp, 'wx', mode);
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

/** The same, synchronous (code paths that run before or after the event loop). */
export function writeFileAtomicSync(file: string, data: string | Buffer, mode = 0o600): void {
  const temp = tempName(file);
  try {
    const fd = openSync(temp, 'wx', mode);
    try {
      const bytes = typeof data === 'string' ? Buffer.from(data) : data;
      for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, file);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
}

/**
 * `<file>.tmp-<pid>-<random>`: unique per process and call, so concurrent writers (branches on
 * one host) never share one; the `.tmp-` infix is what the leftover sweep removes after a crash.
 */
export function tempName(file: string): string {
  return `${file}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
}
