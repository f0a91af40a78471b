import { raceAbort } from '../cli-api';

/** What a command may touch of the outside world; tests pass their own. */
export interface CliIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  readonly stdin: NodeJS.ReadableStream;
  /** Aborted on Ctrl-C (SIGINT) or SIGTERM: commands stop their work and return. */
  readonly signal: AbortSignal;
}

/**
 * Writes and waits until the stream has taken the data, so an exit right after loses nothing.
 * A pipe nobody reads never takes it: `signal` (Ctrl-C, SIGTERM) ends that wait.
 */
export function writeAll(stream: NodeJS.WritableStream, text: string, signal?: AbortSignal): Promise<void> {
  return raceAbort(new Promise<void>((resolve, reject) => stream.write(text, (error) => (error ? reject(error) : resolve()))), signal);
}
