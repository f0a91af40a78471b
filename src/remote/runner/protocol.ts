/**
 * The warm runner's protocol (docs/decisions.md, "Warm runner"): one JSON object per line
 * in both directions over the runner's exec channel. The client writes requests on the
 * channel's stdin; the runner answers on stdout, after a `@@tea-runner-<nonce> ready`
 * line: whatever rc files print before it is skipped, as the result frame does for a
 * branch (result-frame.ts). Byte payloads (input, result) travel base64-encoded, so a
 * line never holds a raw newline. Messages carry no secret in the clear other than
 * the branch's env_vars, which are on the channel only (never on disk or a command line),
 * as in the process runner.
 */

/** Start a branch: the scoped run's argv (after the basefile), its flow directory and environment. */
export interface RunRequest {
  t: 'run';
  id: number;
  /** `run <workflow> --entry-point=... --exit-point=... --input=... --output=...` (runArgv without the basefile). */
  argv: string[];
  flowDir: string;
  /** The input state (JSON text), base64. */
  input: string;
  /** Variables for the branch's environment (env_vars), on top of the runner's. */
  env: Record<string, string>;
  maxResultBytes: number;
  cleanup: boolean;
  /** Standby workers to keep once this branch took one (as a StandbyRequest, applied after the take). */
  standbys?: number;
}

/** End a branch now (timeout, cancel): its worker and every process carrying its mark. */
export interface CancelRequest {
  t: 'cancel';
  id: number;
}

/**
 * How many standby workers to keep ready (started, program evaluated, waiting for a branch):
 * the client's estimate of the branches still to come to this host, at most its slots.
 */
export interface StandbyRequest {
  t: 'standby';
  n: number;
}

export type Request = RunRequest | CancelRequest | StandbyRequest;

/** What result.json held, as the wrapper's frame says it (result-frame.ts). */
export type RunnerResult =
  | { kind: 'ok'; data: string /* base64 */ }
  | { kind: 'invalid' }
  | { kind: 'missing' }
  | { kind: 'too-large'; size: number };

/** A branch ended. `code` is the scoped run's exit status (as a process's would be). */
export interface DoneReply {
  t: 'done';
  id: number;
  code: number;
  stderrTail: string;
  result?: RunnerResult;
  /** Set when the branch was ended by a cancel request. */
  cancelled?: boolean;
  /** The runner's resident set after the branch (bytes): the bench and tests watch it. */
  rss: number;
  /** Set when the branch ran on a standby worker (started before it arrived). */
  standby?: boolean;
  /** Idle standby workers after the branch (tests, debug log). */
  idle?: number;
}

export type Reply = DoneReply;

export function readyMarker(nonce: string): string {
  return `@@tea-runner-${nonce} ready\n`;
}

export function encode(message: Request | Reply): string {
  return `${JSON.stringify(message)}\n`;
}

/**
 * Splits a byte stream into lines, keeping at most `maxLine` bytes of an unfinished one
 * (a longer line is an error: the peer is not speaking the protocol).
 */
export class LineSplitter {
  #parts: Buffer[] = [];
  #size = 0;

  constructor(
    private readonly maxLine: number,
    private readonly onLine: (line: string) => void,
  ) {}

  push(chunk: Buffer): void {
    let start = 0;
    for (let nl = chunk.indexOf(0x0a); nl >= 0; nl = chunk.indexOf(0x0a, start)) {
      this.#parts.push(chunk.subarray(start, nl));
      const line = Buffer.concat(this.#parts).toString('utf8');
      this.#parts = [];
      this.#size = 0;
      start = nl + 1;
      this.onLine(line);
    }
    if (start < chunk.length) {
      this.#size += chunk.length - start;
      if (this.#size > this.maxLine) throw new Error(`a line longer than ${this.maxLine} bytes`);
      this.#parts.push(chunk.subarray(start));
    }
  }
}

/**
 * The client's reader: skips everything before the ready marker (rc files), then parses
 * one reply per line. A malformed line is the runner's failure, reported through `onError`.
 */
export class ReplyReader {
  readonly #marker: Buffer;
  #seek: Buffer = Buffer.alloc(0);
  #ready = false;
  readonly #lines: LineSplitter;

  constructor(
    nonce: string,
    maxLine: number,
    private readonly handlers: { ready: () => void; reply: (reply: Reply) => void; error: (error: Error) => void },
  ) {
    this.#marker = Buffer.from(readyMarker(nonce));
    this.#lines = new LineSplitter(maxLine, (line) => this.#line(line));
  }

  push(chunk: Buffer): void {
    try {
      if (!this.#ready) {
        const text = Buffer.concat([this.#seek, chunk]);
        const at = text.indexOf(this.#marker);
        if (at < 0) {
          this.#seek = text.subarray(Math.max(0, text.length - this.#marker.length));
          return;
        }
        this.#ready = true;
        this.#seek = Buffer.alloc(0);
        this.handlers.ready();
        chunk = text.subarray(at + this.#marker.length);
      }
      this.#lines.push(chunk);
    } catch (error) {
      this.handlers.error(error as Error);
    }
  }

  #line(line: string): void {
    if (line === '') return;
    let reply: unknown;
    try {
      reply = JSON.parse(line);
    } catch {
      throw new Error(`not a runner reply: ${JSON.stringify(line.slice(0, 80))}`);
    }
    if (!isDone(reply)) throw new Error(`not a runner reply: ${JSON.stringify(line.slice(0, 80))}`);
    this.handlers.reply(reply);
  }
}

function isDone(value: unknown): value is DoneReply {
  const v = value as Partial<DoneReply> | null;
  return typeof v === 'object' && v !== null && v.t === 'done' && typeof v.id === 'number' && typeof v.code === 'number' && typeof v.stderrTail === 'string' && typeof v.rss === 'number';
}

/** The runner's side: one request per line; anything else is refused by the caller. */
export function parseRequest(line: string): Request {
  const v = JSON.parse(line) as Partial<Omit<RunRequest, 't'>> & { t?: unknown };
  if (v.t === 'cancel' && typeof v.id === 'number') return { t: 'cancel', id: v.id };
  const n = (v as { n?: unknown }).n;
  if (v.t === 'standby' && typeof n === 'number' && Number.isInteger(n) && n >= 0) return { t: 'standby', n };
  if (
    v.t === 'run' && typeof v.id === 'number' && Array.isArray(v.argv) && v.argv.every((a) => typeof a === 'string') &&
    typeof v.flowDir === 'string' && v.flowDir.startsWith('/') && typeof v.input === 'string' && typeof v.env === 'object' && v.env !== null &&
    typeof v.maxResultBytes === 'number' && typeof v.cleanup === 'boolean' &&
    (v.standbys === undefined || (typeof v.standbys === 'number' && Number.isInteger(v.standbys) && v.standbys >= 0))
  ) {
    return v as RunRequest;
  }
  throw new Error(`not a runner request: ${JSON.stringify(line.slice(0, 80))}`);
}
