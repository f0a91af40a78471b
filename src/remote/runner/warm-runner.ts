import { PassThrough } from 'node:stream';
import { TeaError, errorMessage } from '../../errors';
import type { Logger } from '../../log';
import { deadline } from '../../util/abort';
import type { HostConnection } from '../ssh/connection';
import { BASEFILE_MISSING_STATUS } from '../command/reaper';
import { ReplyReader, encode, type DoneReply, type RunRequest } from './protocol';
import { runnerRequest } from './runner-script';

export interface WarmRunnerSpec {
  host: string;
  tea: string;
  runDir: string;
  killGraceSeconds: number;
  maxResultBytes: number;
  /** SSH env requests for the runner's channel (env_vars mode ssh_env): the same for every branch. */
  execEnv?: Readonly<Record<string, string>> | undefined;
  logger: Logger;
}

/** The runner could not start on this host (not a transport failure): its branches run as processes. */
export class RunnerUnavailable extends Error {}

/** The runner found the basefile gone (a tmp cleaner): the caller stages again. */
export class RunnerBasefileMissing extends Error {}

/** Bound on the runner's start (exec channel open, node start, ready line). */
export const RUNNER_START_SECONDS = 60;

/**
 * The client side of one host's warm runner (docs/decisions.md "Warm runner"): started
 * once over an exec channel of the host's connection, through the bootstrap; then every
 * branch on the host is one request line and one reply line on that channel. When the
 * runner ends (crash, lost connection) its branches fail as E_CONNECTION_LOST (retried like
 * any transport failure) and the next branch starts a new one. `close()` ends the channel,
 * which ends the runner and everything its branches started.
 */
export class WarmRunner {
  #live: LiveRunner | null = null;
  #starting: Promise<LiveRunner> | null = null;
  #unavailable: string | null = null;
  #closed = false;
  /** Runners started on this host so far (tests: a crash starts a new one). */
  starts = 0;
  /** Largest runner RSS any reply reported (bytes). */
  peakRss = 0;
  /** Branches that ran on a standby worker (started before they arrived). */
  standbyRuns = 0;
  #standbys = 0;
  /** The runner started last (also while it starts): standby counts go to it. */
  #latest: LiveRunner | null = null;

  constructor(
    private readonly connection: HostConnection,
    private readonly spec: WarmRunnerSpec,
  ) {}

  /** Why the runner cannot run on this host (then branches run as processes); null when it can. */
  get unavailable(): string | null {
    return this.#unavailable;
  }

  /**
   * How many standby workers the runner should keep ready: the branches still expected on this
   * host, at most its slots. Sent when it changes (`now`), else with the next branch's request
   * (the runner lowers the count only after that branch took its standby); a runner started
   * later gets it first.
   */
  setStandbys(n: number, now = true): void {
    if (n === this.#standbys) return;
    this.#standbys = n;
    if (now) this.#latest?.standbys(n);
  }

  /** Runs one branch; resolves with the runner's reply (the caller reads the exit and result like a process's). */
  async run(request: Omit<RunRequest, 't' | 'id'>, signal: AbortSignal): Promise<DoneReply> {
    const live = await this.#ensure(signal);
    const reply = await live.run({ ...request, standbys: this.#standbys }, signal);
    this.peakRss = Math.max(this.peakRss, reply.rss);
    if (reply.standby === true) this.standbyRuns += 1;
    if (reply.idle !== undefined) this.spec.logger.debug(`${this.spec.host}: warm runner: branch ${reply.standby === true ? 'ran on a standby worker' : 'started its own worker'}; ${reply.idle} standby worker(s) kept`);
    return reply;
  }

  async #ensure(signal: AbortSignal): Promise<LiveRunner> {
    if (this.#closed) throw new TeaError('E_CANCELLED', `${this.spec.host}: the run is closing`, { host: this.spec.host });
    if (this.#unavailable !== null) throw new RunnerUnavailable(this.#unavailable);
    if (this.#live !== null && !this.#live.ended) return this.#live;
    this.#starting ??= this.#start().finally(() => (this.#starting = null));
    const started = this.#starting;
    return new Promise<LiveRunner>((resolve, reject) => {
      const onAbort = () => reject(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      started.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
    });
  }

  async #start(): Promise<LiveRunner> {
    this.starts += 1;
    const live = new LiveRunner(this.connection, this.spec);
    this.#latest = live;
    // Before the first branch's request: its standbys start as soon as the runner reads this.
    live.standbys(this.#standbys);
    try {
      await live.ready;
    } catch (error) {
      if (error instanceof RunnerUnavailable) {
        this.#unavailable = error.message;
        this.spec.logger.warn(`${this.spec.host}: ${error.message}; its branches run as one process each (runner: process)`);
      }
      throw error;
    }
    this.#live = live;
    return live;
  }

  /** Ends the runner's channel and waits (bounded) for the runner to have ended everything. */
  async close(): Promise<void> {
    this.#closed = true;
    const live = this.#live ?? (await this.#starting?.catch(() => null)) ?? null;
    await live?.close();
  }
}

/** One started runner: its channel, the branches waiting for a reply, its end. */
class LiveRunner {
  readonly ready: Promise<void>;
  ended = false;
  readonly #input = new PassThrough();
  readonly #pending = new Map<number, { resolve: (reply: DoneReply) => void; reject: (error: unknown) => void }>();
  readonly #lifetime = new AbortController();
  readonly #exited: Promise<void>;
  #nextId = 1;

  constructor(
    connection: HostConnection,
    private readonly spec: WarmRunnerSpec,
  ) {
    const start = runnerRequest(spec);
    let markReady!: () => void;
    let failStart!: (error: unknown) => void;
    let isReady = false;
    this.ready = new Promise<void>((resolve, reject) => {
      markReady = () => ((isReady = true), resolve());
      failStart = reject;
    });
    this.ready.catch(() => {});
    // A reply holds a base64 result of at most max_result_bytes, plus its fields.
    const reader = new ReplyReader(start.nonce, Math.ceil((spec.maxResultBytes * 4) / 3) + 64 * 1024, {
      ready: markReady,
      reply: (reply) => {
        const waiter = this.#pending.get(reply.id);
        this.#pending.delete(reply.id);
        waiter?.resolve(reply);
      },
      error: (error) => this.#end(new TeaError('E_CONNECTION_LOST', `${spec.host}: the warm runner broke its protocol (${error.message}): restarting it`, { host: spec.host })),
    });
    const bound = deadline(RUNNER_START_SECONDS * 1000, () => new TeaError('E_CONNECTION_LOST', `${spec.host}: the warm runner did not start within ${RUNNER_START_SECONDS}s`, { host: spec.host }), this.#lifetime.signal);
    bound.signal.addEventListener('abort', () => { if (!isReady) failStart(bound.signal.reason); }, { once: true });
    this.ready.then(bound.dispose, bound.dispose);
    this.#input.write(start.stdin);
    const exec = connection.exec(start.command, this.#lifetime.signal, {
      stdin: this.#input,
      onStdout: (chunk) => reader.push(chunk),
      ...(spec.execEnv === undefined ? {} : { env: spec.execEnv }),
    });
    this.#exited = exec.then(
      (result) => {
        const how = result.signal !== null ? `signal ${result.signal}` : `exit ${result.code}`;
        const tail = result.stderrTail === '' ? '' : `: ${result.stderrTail.split('\n').slice(-3).join(' | ')}`;
        if (!isReady) {
          if (result.code === BASEFILE_MISSING_STATUS) failStart(new RunnerBasefileMissing(`${spec.host}: the basefile ${spec.tea} is missing`));
          else if (result.signal === null && result.code !== null && !this.#lifetime.signal.aborted) failStart(new RunnerUnavailable(`the warm runner could not start (${how}${tail})`));
        }
        this.#end(new TeaError('E_CONNECTION_LOST', `${spec.host}: the warm runner ended (${how})${tail}; its branches are retried`, { host: spec.host, stderrTail: result.stderrTail }));
      },
      (error: unknown) => this.#end(error),
    );
  }

  standbys(n: number): void {
    if (!this.ended) this.#input.write(encode({ t: 'standby', n }));
  }

  run(request: Omit<RunRequest, 't' | 'id'>, signal: AbortSignal): Promise<DoneReply> {
    if (this.ended) return Promise.reject(new TeaError('E_CONNECTION_LOST', `${this.spec.host}: the warm runner ended`, { host: this.spec.host }));
    const id = this.#nextId++;
    return new Promise<DoneReply>((resolve, reject) => {
      const onAbort = () => {
        // The runner ends the branch (worker and marked processes) on its own; the caller stops waiting now.
        if (this.#pending.delete(id) && !this.ended) this.#input.write(encode({ t: 'cancel', id }));
        reject(signal.reason);
      };
      this.#pending.set(id, {
        resolve: (reply) => (signal.removeEventListener('abort', onAbort), resolve(reply)),
        reject: (error) => (signal.removeEventListener('abort', onAbort), reject(error)),
      });
      signal.addEventListener('abort', onAbort, { once: true });
      this.#input.write(encode({ t: 'run', id, ...request }));
    });
  }

  #end(error: unknown): void {
    if (this.ended) return;
    this.ended = true;
    const reason = error instanceof TeaError ? error : new TeaError('E_CONNECTION_LOST', `${this.spec.host}: the warm runner's channel failed: ${errorMessage(error)}`, { host: this.spec.host, cause: error });
    for (const waiter of this.#pending.values()) waiter.reject(reason);
    this.#pending.clear();
    this.#lifetime.abort(reason);
  }

  /** EOF on the runner's stdin: it ends its branches (grace period) and exits; then the channel closes. */
  async close(): Promise<void> {
    this.#input.end();
    const wait = deadline((this.spec.killGraceSeconds + 5) * 1000, () => new Error('runner still running'));
    await Promise.race([this.#exited, new Promise((resolve) => wait.signal.addEventListener('abort', resolve, { once: true }))]);
    wait.dispose();
    this.#end(new TeaError('E_CANCELLED', `${this.spec.host}: the run is closing`, { host: this.spec.host }));
    await this.#exited;
  }
}
