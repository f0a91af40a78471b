import { close, constants, fstat, open, readFile } from 'node:fs';
import { promisify } from 'node:util';

/**
 * Reads a text file that may be a FIFO (`--input <(jq ...)`, `mkfifo`). fs.readFile would
 * open and read a FIFO in a libuv worker thread, blocked until a writer came: nothing can
 * cancel that, and Node joins its worker threads at exit, so even Ctrl-C and
 * process.exit() hung. A FIFO is opened non-blocking and read as a pipe on the event loop
 * instead, as stdin is: it still waits for its writer, and a caller's abort (or exit) ends
 * the wait. Other files are read as fs.readFile reads them.
 */
export async function readTextFile(path: string): Promise<string> {
  // O_NONBLOCK: open() of a FIFO returns at once instead of waiting for a writer (POSIX; 0 on Windows).
  const fd = await promisify(open)(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  let stats;
  try {
    stats = await promisify(fstat)(fd);
  } catch (error) {
    close(fd, () => {});
    throw error;
  }
  if (!stats.isFIFO()) {
    try {
      return await promisify(readFile)(fd, 'utf8');
    } finally {
      close(fd, () => {});
    }
  }
  // A pipe handle polls the FIFO: it waits for data or for the writer's close (EOF). The socket owns the fd.
  // (node:net is loaded here only: every `tea run` reads its input through this function. A
  // require, not import(): the bundle runs as a vm.Script, which has no dynamic import of builtins.)
  const { Socket } = require('node:net') as typeof import('node:net');
  const pipe = new Socket({ fd, readable: true, writable: false });
  const chunks: Buffer[] = [];
  for await (const chunk of pipe) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
