import { spawn } from 'node:child_process';
import { TeaError } from '../errors';
import type { Logger } from '../log';

export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The last few KB of stderr, for errors and results. */
  stderrTail: string;
}

export interface ChildOptions {
  /** Aborting it ends the child's whole process group: SIGTERM, then SIGKILL after `killGraceMs`. */
  signal: AbortSignal;
  killGraceMs: number;
  logger: Logger;
  /** Prefix of the child's output lines in debug logs. */
  label: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

const TAIL_BYTES = 4096;
const CLOSE_WAIT_MS = 2000;

/**
 * Runs a child in its own process group and resolves when it has exited (never
 * rejects for a non-zero exit). Its own group lets an abort end what it started too
 * (a node's subprocesses), not only the child itself.
 */
export function runChild(command: string, args: readonly string[], options: ChildOptions): Promise<ChildExit> {
  return new Promise((resolve, reject) => {
    const { signal, logger, label } = options;
    const child = spawn(command, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: options.env ?? process.env, ...(options.cwd === undefined ? {} : { cwd: options.cwd }) });
    let stderrTail = '';
    let killTimer: NodeJS.Timeout | undefined;
    let exited = false;

    const killGroup = (sig: NodeJS.Signals) => {
      if (exited || child.pid === undefined) return;
      try {
        process.kill(-child.pid, sig);
      } catch {
        // the group is already gone
      }
    };
    const onAbort = () => {
      killGroup('SIGTERM');
      killTimer = setTimeout(() => killGroup('SIGKILL'), options.killGraceMs);
      killTimer.unref();
    };
    const lines = (stream: NodeJS.ReadableStream, keepTail: boolean) => {
      let partial = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        if (keepTail) stderrTail = (stderrTail + chunk).slice(-TAIL_BYTES);
        const parts = (partial + chunk).split('\n');
        partial = parts.pop()!;
        for (const line of parts) logger.debug(`${label}: ${line}`);
      });
      stream.on('end', () => partial !== '' && logger.debug(`${label}: ${partial}`));
    };
    lines(child.stdout!, false);
    lines(child.stderr!, true);

    child.once('error', (error) => {
      signal.removeEventListener('abort', onAbort);
      reject(new TeaError('E_HOST_UNUSABLE', `cannot start ${command}: ${error.message}`, { cause: error }));
    });
    let closeTimer: NodeJS.Timeout | undefined;
    child.once('exit', (code, sig) => {
      exited = true;
      if (killTimer !== undefined) clearTimeout(killTimer);
      signal.removeEventListener('abort', onAbort);
      // Something the child started may still hold its stdout/stderr open: do not wait for it forever.
      closeTimer = setTimeout(() => {
        child.stdout?.destroy();
        child.stderr?.destroy();
        resolve({ code, signal: sig, stderrTail });
      }, CLOSE_WAIT_MS);
    });
    // 'close' waits for stdio to end, so the stderr tail is complete.
    child.once('close', (code, sig) => {
      if (closeTimer !== undefined) clearTimeout(closeTimer);
      resolve({ code, signal: sig, stderrTail });
    });

    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
}

export { teaErrorLine } from '../core/exit-status';
