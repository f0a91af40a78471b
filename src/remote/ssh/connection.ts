import { setMaxListeners } from 'node:events';
import { Client, type ClientChannel, type SFTPWrapper } from 'ssh2';
import { TeaError } from '../../errors';
import type { EventSink } from '../../events';
import type { Logger } from '../../log';
import { clientConfig } from './client-config';
import { connectError, isChannelOpenFailure } from './connect-errors';
import type { HostKeyPolicy } from '../trust/host-key-policy';
import type { HostSpec } from '../trust/hosts';
import { Semaphore } from '../../util/semaphore';
import { TailBuffer } from '../../util/tail';
import { raceAbort, sleep } from '../../util/abort';
import { openTransport, type Transport } from './transport';

/** Per-connection settings; the connect timeout is per host (HostSpec, ssh_config ConnectTimeout). */
export interface ConnectionSettings {
  keepaliveIntervalSeconds: number;
  keepaliveCountMax: number;
  /** Exec channels open at once on the connection (SFTP takes one more). */
  maxChannels: number;
}

interface ExitRecord {
  code: number | null;
  signal: string | null;
}

export interface ExecResult {
  code: number | null;
  signal: string | null;
  stderrTail: string;
}

/** An open SFTP channel and a signal that aborts when it closes (requests in flight race it). */
interface OpenSftp {
  sftp: SFTPWrapper;
  closed: AbortSignal;
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
  /** The SFTP channel, while it is open: dropped when it closes or fails, so the next caller opens a new one. */
  sftp?: Promise<OpenSftp>;
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
  readonly #channels: Semaphore;
  /** Connections opened so far (tests compare it with the sshd log). */
  connectCount = 0;

  constructor(
    readonly spec: HostSpec,
    private readonly settings: ConnectionSettings,
    private readonly hostKeys: HostKeyPolicy,
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
    const release = await this.handshakes.acquire();
    const started = Date.now();
    try {
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
        opening.abort(error);
        client.end();
        transport?.close();
        reject(hostKeyError ?? connectError(spec, error, timeoutSeconds));
      };
      const timer = setTimeout(() => fail(Object.assign(new Error('timeout'), { level: 'client-timeout' })), timeoutSeconds * 1000);
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
            resolve(live);
          });
          client.connect(clientConfig(spec, opened.sock, this.hostKeys, settings, (error) => (hostKeyError = error)));
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
  async exec(command: string, signal: AbortSignal, options: { env?: Readonly<Record<string, string>> } = {}): Promise<ExecResult> {
    const live = await this.connect(signal);
    const release = await this.#channels.acquire(signal);
    try {
      // The exit status can arrive in the same packet batch as the exec reply, before
      // any await resumes: record it from inside ssh2's callback, or it is lost.
      const exit: ExitRecord = { code: null, signal: null };
      const execOptions = options.env === undefined ? {} : { env: { ...options.env } };
      const stream = await this.#openChannel<ClientChannel>(live, signal, (cb) =>
        live.client.exec(command, execOptions, (err, channel) => {
          channel?.on('exit', (code: number | null, sig?: string) => {
            exit.code = code;
            exit.signal = sig ?? null;
          });
          cb(err, channel);
        }),
      );
      return await this.#collect(live, stream, exit, signal);
    } finally {
      release();
    }
  }

  /**
   * The connection's SFTP session (one channel, shared by every flow on the host).
   * The channel is watched: when it closes or errors (the server ended the subsystem,
   * MaxSessions reclaimed it) requests in flight fail with E_CHANNEL_UNAVAILABLE and
   * the next caller opens a new channel instead of getting the dead one.
   */
  async sftp(signal?: AbortSignal): Promise<{ sftp: SFTPWrapper; guard: <T>(p: Promise<T>) => Promise<T> }> {
    const live = await this.connect(signal);
    if (live.sftp === undefined) {
      const opening = this.#openSftp(live);
      live.sftp = opening;
      opening.catch(() => {
        if (live.sftp === opening) live.sftp = undefined;
      });
    }
    const open = await raceAbort(live.sftp, signal, live.lost);
    return { sftp: open.sftp, guard: <T>(p: Promise<T>) => raceAbort(p, signal, live.lost, open.closed) };
  }

  async #openSftp(live: Live): Promise<OpenSftp> {
    const sftp = await this.#openChannel<SFTPWrapper>(live, undefined, (cb) => live.client.sftp(cb));
    const closed = new AbortController();
    const entry: OpenSftp = { sftp, closed: closed.signal };
    const mine = live.sftp;
    const drop = (error?: Error) => {
      if (live.sftp === mine) live.sftp = undefined;
      if (closed.signal.aborted) return;
      const why = error === undefined ? 'closed' : `failed: ${error.message}`;
      closed.abort(new TeaError('E_CHANNEL_UNAVAILABLE', `${this.spec.id}: the SFTP channel ${why}; the next request opens a new one`, { host: this.spec.id, cause: error }));
      if (!this.#closing && !live.closed) this.logger.debug(`${this.spec.id}: SFTP channel ${why}`);
    };
    sftp.once('close', () => drop());
    sftp.on('error', (error: Error) => drop(error));
    return entry;
  }

  /** Opens a channel, waiting and retrying on this connection while the server refuses one (MaxSessions). */
  async #openChannel<T>(live: Live, signal: AbortSignal | undefined, open: (cb: (err: Error | undefined, channel: T) => void) => void): Promise<T> {
    for (let tries = 0; ; tries += 1) {
      const opened = new Promise<T>((resolve, reject) => {
        try {
          open((err, channel) => (err ? reject(err) : resolve(channel)));
        } catch (error) {
          // ssh2 throws synchronously ("Not connected") on a dead socket.
          reject(new TeaError('E_CONNECTION_LOST', `${this.spec.id}: connection lost (${(error as Error).message})`, { host: this.spec.id, cause: error }));
        }
      });
      try {
        return await raceAbort(opened, signal, live.lost);
      } catch (error) {
        if (!isChannelOpenFailure(error) || live.closed) throw error;
        if (!live.refusedChannel) {
          live.refusedChannel = true;
          this.logger.debug(`${this.spec.id}: server refused a channel (MaxSessions?): waiting for free ones`);
        }
        await sleep(Math.min(250, 5 * 2 ** Math.min(tries, 6)), signal);
      }
    }
  }

  #collect(live: Live, stream: ClientChannel, exit: ExitRecord, signal: AbortSignal): Promise<ExecResult> {
    return new Promise<ExecResult>((resolve, reject) => {
      const stderr = new TailBuffer();
      let done = false;
      const finish = (fn: () => void) => {
        if (done) return;
        done = true;
        signal.removeEventListener('abort', onAbort);
        live.lost.removeEventListener('abort', onLost);
        fn();
      };
      const onLost = () => finish(() => reject(live.lost.reason));
      stream.on('data', () => {});
      stream.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
      stream.on('close', () =>
        finish(() => {
          if (signal.aborted) return reject(signal.reason);
          // No exit status and no exit signal: the channel was torn down under us
          // (sshd or its session died, the connection is going): a transport failure.
          const { code, signal: exitSignal } = exit;
          if (code === null && exitSignal === null) {
            return reject(new TeaError('E_CONNECTION_LOST', `${this.spec.id}: the session ended without an exit status (host or connection lost)`, { host: this.spec.id, stderrTail: stderr.text() }));
          }
          resolve({ code, signal: exitSignal, stderrTail: stderr.text() });
        }),
      );
      // Ending the channel is what ends the remote work: the watchdog sees stdin close.
      const onAbort = () => {
        try {
          stream.signal('TERM');
        } catch {
          /* channel already gone */
        }
        stream.close();
      };
      signal.addEventListener('abort', onAbort, { once: true });
      if (signal.aborted) onAbort();
      live.lost.addEventListener('abort', onLost, { once: true });
      if (live.lost.aborted) onLost();
    });
  }

  /**
   * Closes the connection; in-flight work fails with E_CONNECTION_LOST. Waits up to
   * 2 s for the server's goodbye, then destroys the socket; no timer is left behind.
   */
  async close(): Promise<void> {
    this.#closing = true;
    const live = this.#live ?? (await this.#connecting?.catch(() => null)) ?? null;
    if (live === null || live.closed) return;
    const closed = new Promise<void>((resolve) => live.client.once('close', () => resolve()));
    const done = new AbortController();
    live.client.end();
    await Promise.race([closed, sleep(2000, done.signal).catch(() => {})]);
    done.abort();
    if (!live.closed) live.client.destroy();
  }
}
