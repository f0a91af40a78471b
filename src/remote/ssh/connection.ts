import { setMaxListeners } from 'node:events';
import type { Readable } from 'node:stream';
import { Client, type ClientChannel, type SFTPWrapper } from 'ssh2';
import { TeaError } from '../../errors';
import type { EventSink } from '../../events';
import type { Logger } from '../../log';
import { clientConfig } from './client-config';
import { connectError, isChannelOpenFailure } from './connect-errors';
import type { HostKeysFor } from './client-config';
import type { HostSpec } from '../trust/hosts';
import { Semaphore } from '../../util/semaphore';
import { TailBuffer } from '../../util/tail';
import { deadline, raceAbort, sleep } from '../../util/abort';
import { openTransport, type Transport } from './transport';
import { sftpOps, type SftpOps } from './sftp-ops';
import { sftpOpenError, sftpRequestError, isSftpStatus } from './sftp-errors';

/** Per-connection settings; the connect timeout is per host (HostSpec, ssh_config ConnectTimeout). */
export interface ConnectionSettings {
  keepaliveIntervalSeconds: number;
  keepaliveCountMax: number;
  /** Exec channels open at once on the connection (SFTP takes one more). */
  maxChannels: number;
  /** Deadline of an SFTP channel open and of each SFTP request (uploads get 1 s per MiB more). */
  sftpTimeoutSeconds: number;
  /** How long a channel the server refuses (MaxSessions) is retried before the attempt fails. */
  channelWaitSeconds: number;
}

interface ExitRecord {
  code: number | null;
  signal: string | null;
}

export interface ExecResult {
  code: number | null;
  signal: string | null;
  stderrTail: string;
  /** stdout, kept only when `stdoutLimit` was given (else drained: rc files print there). */
  stdout?: Buffer;
  /** stdout had more than `stdoutLimit` bytes; `stdout` holds the first ones. */
  stdoutOverflow?: boolean;
}

export interface ExecOptions {
  env?: Readonly<Record<string, string>> | undefined;
  /** Sent on the channel's stdin, then EOF (unless keepStdinOpen). Without it stdin stays open (the watchdog waits for its close). */
  stdin?: Buffer | Readable;
  /** A Buffer `stdin` is written without EOF: the run wrapper's watchdog reads the end of stdin as "the channel closed". */
  keepStdinOpen?: boolean;
  /** Keep up to this many bytes of stdout. */
  stdoutLimit?: number;
  /** Every stdout chunk, as it arrives (the caller bounds what it keeps). */
  onStdout?: (chunk: Buffer) => void;
}

/** The connection's SFTP channel: opened on first use, shared, closed when it starves exec or fails. */
interface SftpState {
  opening: Promise<SFTPWrapper>;
  wrapper: SFTPWrapper | null;
  /** Operations using it now: it is never closed under one. */
  leases: number;
  dropped: boolean;
}

/** One SFTP user's hold on the channel; every request has a deadline. Release when done. */
export interface SftpLease {
  ops: SftpOps;
  release(): void;
}

/** One live ssh2 connection; replaced by a new one after it is lost. */
interface Live {
  client: Client;
  /**
   * Aborted (reason: E_CONNECTION_LOST) when the connection ends; everything in flight
   * races it. A signal rather than a promise: a listener is removed when its operation
   * settles, while every Promise.race against a never-settling promise stays attached
   * to it, keeping each operation's result (state buffers) alive for the connection's life.
   */
  lost: AbortSignal;
  markLost: (error: TeaError) => void;
  closed: boolean;
  sftp?: SftpState | undefined;
  /** Logged once per connection: the server refused a channel (MaxSessions). */
  refusedChannel?: boolean;
}

/**
 * The single multiplexed SSH connection to one host. Opened lazily, reopened after
 * loss; exec channels (at most `maxChannels`) and one SFTP channel share it. A
 * channel the server refuses (MaxSessions) is waited for and retried here, so it
 * never fails a flow.
 */
export class HostConnection {
  #live: Live | null = null;
  #connecting: Promise<Live> | null = null;
  #closing = false;
  /** Aborted by close(): a connect still queued for a handshake slot, or in its handshake, ends at once. */
  readonly #closed = new AbortController();
  readonly #channels: Semaphore;
  /** Exec channels open on the live connection now. */
  #execOpen = 0;
  /** Connections opened so far (tests compare it with the sshd log). */
  connectCount = 0;
  /**
   * Requests sent on this host's connections so far, by kind: each costs round trips on a
   * real link (docs/operations.md "Round trips"), so tests count them. `exec`: channel open +
   * exec request; `sftpChannel`: channel open + subsystem request + version; `sftp`: one
   * SFTP operation (an upload counts once, its writes are pipelined).
   */
  readonly requests = { exec: 0, sftpChannel: 0, sftp: 0 };
  /**
   * The server refused an exec channel while only the SFTP channel was open (MaxSessions 1):
   * an SFTP channel kept open would starve exec. Transfer choice reads it (auto: exec).
   */
  sftpCrowdsExec = false;

  constructor(
    readonly spec: HostSpec,
    private readonly settings: ConnectionSettings,
    private readonly hostKeys: HostKeysFor,
    private readonly handshakes: Semaphore,
    private readonly logger: Logger,
    private readonly events: EventSink,
  ) {
    this.#channels = new Semaphore(settings.maxChannels);
  }

  /** The live connection, connecting first when there is none. */
  async connect(signal?: AbortSignal): Promise<Live> {
    if (this.#closing) throw new TeaError('E_CANCELLED', `${this.spec.id}: connection pool is closed`, { host: this.spec.id });
    if (this.#live !== null && !this.#live.closed) return this.#live;
    this.#connecting ??= this.#open().finally(() => (this.#connecting = null));
    return raceAbort(this.#connecting, signal);
  }

  async #open(): Promise<Live> {
    const release = await this.handshakes.acquire(this.#closed.signal);
    const started = Date.now();
    try {
      this.#closed.signal.throwIfAborted();
      const live = await this.#handshake();
      this.connectCount += 1;
      this.#live = live;
      this.events({ type: 'host:connected', host: this.spec.id, handshake_ms: Date.now() - started });
      return live;
    } finally {
      release();
    }
  }

  #handshake(): Promise<Live> {
    const { spec, settings } = this;
    const timeoutSeconds = spec.connectTimeoutSeconds;
    return new Promise<Live>((resolve, reject) => {
      let settled = false;
      let hostKeyError: TeaError | null = null;
      let transport: Transport | null = null;
      const opening = new AbortController();
      const client = new Client();
      const fail = (error: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.#closed.signal.removeEventListener('abort', onClosed);
        opening.abort(error);
        client.end();
        transport?.close();
        reject(hostKeyError ?? connectError(spec, error, timeoutSeconds));
      };
      const timer = setTimeout(() => fail(Object.assign(new Error('timeout'), { level: 'client-timeout' })), timeoutSeconds * 1000);
      const onClosed = () => fail(this.#closed.signal.reason);
      this.#closed.signal.addEventListener('abort', onClosed, { once: true });
      client.on('error', (error: Error & { level?: string }) => {
        // A stale SSH_AUTH_SOCK must not cost the identity files their turn (ssh only warns too).
        if (error.level === 'agent') return this.logger.warn(`${spec.id}: ssh-agent ${spec.agent} not usable (${error.message}): trying identity files`);
        return settled ? this.#onLost(live, error) : fail(error);
      });
      client.on('close', () => {
        transport?.close();
        return settled ? this.#onLost(live, null) : fail(new Error('connection closed during handshake'));
      });

      const lost = new AbortController();
      // Every operation in flight on the connection listens (removed when it settles): no limit warning.
      setMaxListeners(0, lost.signal);
      const live: Live = { client, closed: false, lost: lost.signal, markLost: (error) => lost.abort(error) };

      // A TCP socket (TCP_NODELAY set), or a channel through the ProxyJump hosts.
      openTransport(spec, { hostKeys: this.hostKeys, keepalive: settings, logger: this.logger }, opening.signal).then(
        (opened) => {
          if (settled) return opened.close();
          transport = opened;
          opened.sock.on('error', fail);
          client.once('ready', () => {
            if (settled) return;
            settled = true;
            clearTimeout(timer);
            this.#closed.signal.removeEventListener('abort', onClosed);
            resolve(live);
          });
          client.connect(clientConfig(spec, opened.sock, this.hostKeys(spec), settings, (error) => (hostKeyError = error)));
        },
        (error: unknown) => fail(error),
      );
    });
  }

  #onLost(live: Live, error: Error | null): void {
    if (live.closed) return;
    live.closed = true;
    if (this.#live === live) this.#live = null;
    const reason = error?.message ?? 'closed by the server';
    const lost = new TeaError('E_CONNECTION_LOST', `${this.spec.id}: connection lost (${reason})`, { host: this.spec.id, cause: error ?? undefined });
    live.markLost(lost);
    if (!this.#closing) {
      this.logger.warn(lost.message);
      this.events({ type: 'host:lost', host: this.spec.id, error_code: 'E_CONNECTION_LOST', message: lost.message });
    }
  }

  /**
   * Runs `command`; resolves when the channel closes. stdout is drained and ignored (rc files print to it).
   * `env` goes as SSH "env" requests (never on the command line); sshd drops names its AcceptEnv does not list.
   */
  async exec(command: string, signal: AbortSignal, options: ExecOptions = {}): Promise<ExecResult> {
    const live = await this.connect(signal);
    const release = await this.#channels.acquire(signal);
    let opened = false;
    try {
      // The exit status can arrive in the same packet batch as the exec reply, before
      // any await resumes: record it from inside ssh2's callback, or it is lost.
      const exit: ExitRecord = { code: null, signal: null };
      const execOptions = options.env === undefined ? {} : { env: { ...options.env } };
      this.requests.exec += 1;
      const stream = await this.#openChannel<ClientChannel>(live, signal, 'exec', (cb) =>
        live.client.exec(command, execOptions, (err, channel) => {
          channel?.on('exit', (code: number | null, sig?: string) => {
            exit.code = code;
            exit.signal = sig ?? null;
          });
          cb(err, channel);
        }),
      );
      opened = true;
      this.#execOpen += 1;
      return await this.#collect(live, stream, exit, signal, options);
    } finally {
      if (opened) this.#execOpen -= 1;
      release();
    }
  }

  /**
   * The connection's SFTP channel (one, shared), held until `release()`. Opening it and
   * every request have a deadline (settings.sftpTimeoutSeconds): a subsystem that never
   * answers, a request that never returns, or a channel that dies is an E_TRANSFER_FAILED
   * of this host, and the channel is dropped so the next user opens a fresh one.
   */
  async sftpLease(signal?: AbortSignal): Promise<SftpLease> {
    const live = await this.connect(signal);
    const state = (live.sftp !== undefined && !live.sftp.dropped ? live.sftp : undefined) ?? this.#openSftp(live);
    state.leases += 1;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      state.leases -= 1;
    };
    try {
      const wrapper = await raceAbort(state.opening, signal, live.lost);
      return { ops: this.#guardedOps(live, state, wrapper, signal), release };
    } catch (error) {
      release();
      throw error;
    }
  }

  /** Opens the SFTP channel with a deadline; a late channel (after the deadline) is closed at once. */
  #openSftp(live: Live): SftpState {
    const ms = this.settings.sftpTimeoutSeconds * 1000;
    const giveUp = new AbortController();
    const state: SftpState = { opening: Promise.resolve(null as never), wrapper: null, leases: 0, dropped: false };
    this.requests.sftpChannel += 1;
    const opened = this.#openChannel<SFTPWrapper>(live, giveUp.signal, 'sftp', (cb) => live.client.sftp(cb));
    state.opening = new Promise<SFTPWrapper>((resolve, reject) => {
      const timer = setTimeout(() => {
        const error = sftpOpenError(this.spec, new Error(`no answer within ${this.settings.sftpTimeoutSeconds}s`), this.settings.sftpTimeoutSeconds);
        giveUp.abort(error);
        reject(error);
      }, ms);
      opened.then(
        (wrapper) => {
          clearTimeout(timer);
          if (giveUp.signal.aborted || live.closed) return wrapper.end();
          state.wrapper = wrapper;
          const drop = () => this.#dropSftp(live, state, 'closed');
          wrapper.on('close', drop);
          wrapper.on('error', drop);
          resolve(wrapper);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error instanceof TeaError && error.code !== 'E_CHANNEL_UNAVAILABLE' ? error : sftpOpenError(this.spec, error, this.settings.sftpTimeoutSeconds));
        },
      );
    });
    state.opening.catch(() => this.#dropSftp(live, state, 'failed'));
    live.sftp = state;
    return state;
  }

  /** Forgets the SFTP channel and closes it; the next lease opens a new one. */
  #dropSftp(live: Live, state: SftpState, why: string): void {
    if (state.dropped) return;
    state.dropped = true;
    if (live.sftp === state) live.sftp = undefined;
    this.logger.debug(`${this.spec.id}: SFTP channel ${why}`);
    try {
      state.wrapper?.end();
    } catch {
      /* connection already gone */
    }
  }

  /** The SFTP calls, each raced against its deadline, the caller's signal and the connection's loss. */
  #guardedOps(live: Live, state: SftpState, wrapper: SFTPWrapper, signal: AbortSignal | undefined): SftpOps {
    const raw = sftpOps(wrapper);
    const base = this.settings.sftpTimeoutSeconds;
    const guard = <A extends unknown[], T>(name: string, call: (...args: A) => Promise<T>, extraSeconds: (...args: A) => number = () => 0) =>
      (...args: A): Promise<T> => {
        this.requests.sftp += 1;
        const seconds = base + extraSeconds(...args);
        const deadline = AbortSignal.timeout(Math.ceil(seconds * 1000));
        return raceAbort(call(...args), signal, live.lost, deadline).catch((error: unknown) => {
          if (!deadline.aborted && (signal?.aborted || live.lost.aborted || isSftpStatus(error))) throw error;
          // Stalled or broken: this channel is done for; the host pays, the flow goes elsewhere.
          this.#dropSftp(live, state, `dropped after ${name} failed`);
          throw sftpRequestError(this.spec, name, String(args[0]), deadline.aborted ? null : error, seconds);
        });
      };
    return {
      stat: guard('stat', raw.stat),
      lstat: guard('lstat', raw.lstat),
      mkdir: guard('mkdir', raw.mkdir),
      realpath: guard('realpath', raw.realpath),
      writeFile: guard('write', raw.writeFile, (_p, data) => Buffer.byteLength(data) / 2 ** 20),
      readFile: guard('read', raw.readFile),
      fastPut: guard('upload', raw.fastPut, (_l, _r, _m, bytes?: number) => (bytes ?? 0) / 2 ** 20),
      rename: guard('rename', raw.rename),
      unlink: guard('unlink', raw.unlink),
      rmdir: guard('rmdir', raw.rmdir),
    };
  }

  /**
   * Opens a channel, waiting and retrying on this connection while the server refuses one (MaxSessions).
   * Refusals and unanswered requests share one bound, `channel_wait`: a server that answers
   * keepalives but never confirms the channel (or never answers the exec/subsystem request)
   * would otherwise hold the flow for as long as its signal allows, forever without timeout_seconds.
   */
  async #openChannel<T>(live: Live, signal: AbortSignal | undefined, kind: 'exec' | 'sftp', open: (cb: (err: Error | undefined, channel: T) => void) => void): Promise<T> {
    const started = Date.now();
    const waitMs = this.settings.channelWaitSeconds * 1000;
    let crowded = false;
    for (let tries = 0; ; tries += 1) {
      const opened = new Promise<T>((resolve, reject) => {
        try {
          open((err, channel) => (err ? reject(err) : resolve(channel)));
        } catch (error) {
          // ssh2 throws synchronously ("Not connected") on a dead socket.
          reject(new TeaError('E_CONNECTION_LOST', `${this.spec.id}: connection lost (${(error as Error).message})`, { host: this.spec.id, cause: error }));
        }
      });
      const unanswered = deadline(Math.max(1, waitMs - (Date.now() - started)), () => this.#unansweredChannel(kind));
      try {
        return await raceAbort(opened, signal, live.lost, unanswered.signal);
      } catch (error) {
        // Given up while the server was still answering: a channel that opens later is closed at once.
        if (signal?.aborted || live.lost.aborted || unanswered.signal.aborted) void opened.then((channel) => closeLate(kind, channel), () => {});
        if (error === unanswered.signal.reason) throw error;
        // Dropbear answers a burst of session requests with "Unable to exec" now and then: nothing ran, retry like a refusal.
        const refusedExec = kind === 'exec' && error instanceof Error && /^Unable to exec/.test(error.message);
        if ((!isChannelOpenFailure(error) && !refusedExec) || live.closed) throw error;
        if (!live.refusedChannel) {
          live.refusedChannel = true;
          this.logger.debug(`${this.spec.id}: server refused a channel (MaxSessions?): waiting for free ones`);
        }
        const sftp = live.sftp;
        if (kind === 'exec' && sftp !== undefined && sftp.leases === 0 && sftp.wrapper !== null) {
          // An idle SFTP channel must not starve exec (MaxSessions 1): close it, reopen on demand.
          if (this.#execOpen === 0 && !this.sftpCrowdsExec) {
            this.sftpCrowdsExec = true;
            this.logger.info(`${this.spec.id}: the server allows no exec channel beside the SFTP one (MaxSessions 1?): SFTP is closed while exec runs`);
          }
          this.#dropSftp(live, sftp, 'closed to make room for exec');
          continue;
        }
        const waited = Date.now() - started;
        if (kind === 'exec' && !crowded && waited > 1000 && this.#execOpen >= 1 && this.#execOpen < this.#channels.permits) {
          // Still refused after a second with this many open: that is the server's limit, learn it.
          crowded = true;
          this.#channels.setPermits(this.#execOpen);
          this.logger.info(`${this.spec.id}: the server refuses more than ${this.#execOpen} channel(s) (MaxSessions): using ${this.#execOpen} exec channel(s)`);
        }
        if (waited >= this.settings.channelWaitSeconds * 1000) {
          throw new TeaError(
            'E_CHANNEL_UNAVAILABLE',
            `${this.spec.id}: the server refused every new channel for ${this.settings.channelWaitSeconds}s (${this.#execOpen} exec open): raise MaxSessions in its sshd_config or lower max_channels_per_host`,
            { host: this.spec.id, cause: error },
          );
        }
        await sleep(Math.min(250, 5 * 2 ** Math.min(tries, 6)), signal);
      } finally {
        unanswered.dispose();
      }
    }
  }

  #unansweredChannel(kind: 'exec' | 'sftp'): TeaError {
    const what = kind === 'exec' ? 'an exec channel' : 'the SFTP channel';
    return new TeaError(
      'E_CHANNEL_UNAVAILABLE',
      `${this.spec.id}: the server did not open ${what} within ${this.settings.channelWaitSeconds}s (no answer, while the connection stayed alive): sshd may be stuck in session setup (PAM, home directory) or overloaded; raise settings.parallel.remote.channel_wait if it is only slow`,
      { host: this.spec.id },
    );
  }

  #collect(live: Live, stream: ClientChannel, exit: ExitRecord, signal: AbortSignal, options: ExecOptions): Promise<ExecResult> {
    return new Promise<ExecResult>((resolve, reject) => {
      const stderr = new TailBuffer();
      const limit = options.stdoutLimit;
      const stdout: Buffer[] = [];
      let stdoutBytes = 0;
      let stdoutOverflow = false;
      let done = false;
      let unclosed: NodeJS.Timeout | undefined;
      let exitedIdle: NodeJS.Timeout | undefined;
      let stdinTaken: NodeJS.Timeout | undefined;
      const finish = (fn: () => void) => {
        if (done) return;
        done = true;
        clearTimeout(unclosed);
        clearTimeout(stdinTaken);
        clearTimeout(exitedIdle);
        signal.removeEventListener('abort', onAbort);
        live.lost.removeEventListener('abort', onLost);
        fn();
      };
      const onLost = () => finish(() => reject(live.lost.reason));
      stream.on('data', (chunk: Buffer) => {
        options.onStdout?.(chunk);
        if (limit === undefined || stdoutOverflow) return;
        if (stdoutBytes + chunk.length > limit) {
          stdoutOverflow = true;
          stdout.push(chunk.subarray(0, limit - stdoutBytes));
          stdoutBytes = limit;
          return;
        }
        stdout.push(chunk);
        stdoutBytes += chunk.length;
      });
      if (options.stdin !== undefined) {
        const input = options.stdin;
        if (Buffer.isBuffer(input)) {
          // The input must be taken like an SFTP upload of its size: a host that stops reading it
          // (disk or NFS hung) keeps the window shut while sshd still answers keepalives.
          const seconds = this.settings.sftpTimeoutSeconds + input.length / 2 ** 20;
          stdinTaken = setTimeout(() => {
            stream.close();
            finish(() => reject(new TeaError('E_TRANSFER_FAILED', `${this.spec.id}: the command's input (${input.length} bytes) was not taken within ${Math.ceil(seconds)}s (the host stopped reading it: disk or NFS hung?); raise settings.parallel.remote.sftp_timeout if the host is only slow`, { host: this.spec.id })));
          }, seconds * 1000);
          stream.write(input, () => clearTimeout(stdinTaken));
          if (!options.keepStdinOpen) stream.end();
        }
        else {
          input.on('error', (error) => finish(() => reject(error)));
          input.pipe(stream);
        }
      }
      stream.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
      // After the exit status, the channel stays open for as long as anything the command
      // started holds its output (OpenSSH: `sleep 600 &` keeps it 600 s). Output that still
      // flows is waited for; once none has come for EXITED_IDLE_MS, the channel is ours to close.
      const afterExit = () => {
        if (done || (exit.code === null && exit.signal === null)) return;
        clearTimeout(exitedIdle);
        exitedIdle = setTimeout(() => {
          stream.close();
          settle();
        }, EXITED_IDLE_MS);
      };
      stream.on('exit', afterExit);
      stream.on('data', afterExit);
      stream.stderr.on('data', afterExit);
      const settle = () =>
        finish(() => {
          if (signal.aborted) return reject(signal.reason);
          // No exit status and no exit signal: the channel was torn down under us
          // (sshd or its session died, the connection is going): a transport failure.
          const { code, signal: exitSignal } = exit;
          if (code === null && exitSignal === null) {
            return reject(new TeaError('E_CONNECTION_LOST', `${this.spec.id}: the session ended without an exit status (host or connection lost)`, { host: this.spec.id, stderrTail: stderr.text() }));
          }
          const result: ExecResult = { code, signal: exitSignal, stderrTail: stderr.text() };
          if (limit !== undefined) Object.assign(result, { stdout: Buffer.concat(stdout), stdoutOverflow });
          resolve(result);
        });
      stream.on('close', settle);
      afterExit(); // the exit status may have come with the exec reply
      // Ending the channel is what ends the remote work: the watchdog sees stdin close.
      const onAbort = () => {
        try {
          stream.signal('TERM');
        } catch {
          /* channel already gone */
        }
        stream.close();
        // A server that never answers our close (keepalives still answered, so the connection
        // is never lost) must not keep this exec, and its channel slot, forever.
        unclosed = setTimeout(() => finish(() => reject(signal.reason)), CLOSE_ANSWER_MS);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      if (signal.aborted) onAbort();
      live.lost.addEventListener('abort', onLost, { once: true });
      if (live.lost.aborted) onLost();
    });
  }

  /** Closes the connection; in-flight work fails with E_CONNECTION_LOST. */
  async close(): Promise<void> {
    this.#closing = true;
    this.#closed.abort(new TeaError('E_CANCELLED', `${this.spec.id}: the connection was closed before it was established`, { host: this.spec.id }));
    const live = this.#live ?? (await this.#connecting?.catch(() => null)) ?? null;
    if (live === null || live.closed) return;
    const closed = new Promise<void>((resolve) => live.client.once('close', () => resolve()));
    // Up to 2 s for the server's goodbye; the timer goes with the wait (a library caller's process exits at once).
    const done = new AbortController();
    live.client.end();
    await Promise.race([closed, sleep(2000, done.signal).catch(() => {})]);
    done.abort();
    if (!live.closed) live.client.destroy();
  }
}

/** Quiet time after the exit status before the channel is closed from this side (runChild: the same 2 s). */
const EXITED_IDLE_MS = 2000;

/** How long an aborted exec waits for the server to confirm the channel's close (OpenSSH: at once). */
const CLOSE_ANSWER_MS = 5000;

function closeLate(kind: 'exec' | 'sftp', channel: unknown): void {
  try {
    if (kind === 'sftp') (channel as SFTPWrapper).end();
    else (channel as ClientChannel).close();
  } catch {
    /* connection already gone */
  }
}
