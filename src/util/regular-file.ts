import { closeSync, constants, fstatSync, openSync, readFileSync } from 'node:fs';

/**
 * Reads a file that must be a regular file (keys, known_hosts, ssh_config). Opened
 * non-blocking and checked on the open descriptor: a FIFO at such a path would block
 * the whole process in a synchronous open()/read() until some writer came, and no
 * timer, signal handler or Ctrl-C runs meanwhile. Such a path fails at once with
 * code ENOTREG instead (ENOENT and the rest as readFileSync gives them).
 */
export function readRegularFileSync(path: string): Buffer;
export function readRegularFileSync(path: string, encoding: BufferEncoding): string;
export function readRegularFileSync(path: string, encoding?: BufferEncoding): Buffer | string {
  // O_NONBLOCK: open() of a FIFO returns at once instead of waiting for a writer (POSIX; 0 on Windows).
  const fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  try {
    const stats = fstatSync(fd);
    // A directory falls through: readFileSync gives its usual EISDIR.
    if (!stats.isFile() && !stats.isDirectory()) {
      throw Object.assign(new Error(`${path} is not a regular file (a FIFO, socket or device): copy its content to a file`), { code: 'ENOTREG' });
    }
    return encoding === undefined ? readFileSync(fd) : readFileSync(fd, encoding);
  } finally {
    closeSync(fd);
  }
}

/** An errno code for messages; "not a regular file" spelled out. */
export function readErrorReason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOTREG') return 'not a regular file (a FIFO, socket or device)';
  return code ?? (error instanceof Error ? error.message : String(error));
}
