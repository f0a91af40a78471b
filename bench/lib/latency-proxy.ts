import { createServer, connect, type Server, type Socket } from 'node:net';

/**
 * What crossed the proxy since the last `reset()`.
 *
 * A *flight* is a run of chunks in one direction with nothing in the other direction
 * between them. Every client flight after the first on a connection follows something the
 * server sent: when the client waits for answers (one request at a time, as a branch's
 * critical path does), `clientFlights` counts the round trips it waited for, plus 1 per
 * connection for the TCP handshake it cannot see. Messages that need no answer (a channel
 * close acknowledging the server's) count too, so it is an upper bound; the wall time at
 * two RTTs (the bench row) gives the other estimate.
 */
export interface ProxyCounts {
  connections: number;
  clientFlights: number;
  serverFlights: number;
  bytesUp: number;
  bytesDown: number;
}

const zero = (): ProxyCounts => ({ connections: 0, clientFlights: 0, serverFlights: 0, bytesUp: 0, bytesDown: 0 });

/**
 * One direction of one proxied connection: every chunk is delivered `delayMs` after it
 * arrived, in arrival order (a FIFO drained by one timer), and the end is passed on only
 * after the last chunk.
 */
class DelayedPipe {
  readonly #queue: Array<{ at: number; chunk: Buffer | null }> = [];
  #timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly to: Socket,
    private readonly delayMs: number,
  ) {}

  push(chunk: Buffer | null): void {
    if (this.delayMs === 0 && this.#queue.length === 0) return this.#deliver(chunk);
    this.#queue.push({ at: performance.now() + this.delayMs, chunk });
    if (this.#timer === null) this.#arm();
  }

  stop(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    this.#queue.length = 0;
  }

  #arm(): void {
    const head = this.#queue[0];
    if (head === undefined) return;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      const now = performance.now();
      // A timer may fire a little early or late: deliver everything that is due, in order.
      while (this.#queue.length > 0 && this.#queue[0]!.at <= now + 0.5) this.#deliver(this.#queue.shift()!.chunk);
      this.#arm();
    }, Math.max(0, head.at - performance.now()));
  }

  #deliver(chunk: Buffer | null): void {
    if (this.to.destroyed) return;
    if (chunk === null) this.to.end();
    else this.to.write(chunk);
  }
}

/**
 * A user-space TCP proxy on 127.0.0.1 in front of a local sshd that adds a round-trip
 * time: each direction is delayed by RTT/2, order kept. Pure Node (no tc/netem, which this
 * kernel lacks), so it runs anywhere the bench does. Both ends set TCP_NODELAY: the proxy
 * must not add Nagle waits of its own. Counts connections, bytes and flights (ProxyCounts).
 */
export class LatencyProxy {
  #counts = zero();
  readonly #sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly port: number,
    readonly rttMs: number,
  ) {}

  static start(options: { targetPort: number; targetHost?: string; rttMs: number }): Promise<LatencyProxy> {
    const half = options.rttMs / 2;
    return new Promise((resolve, reject) => {
      let proxy: LatencyProxy | null = null;
      const server = createServer({ noDelay: true }, (client) => {
        const p = proxy!;
        p.#counts.connections += 1;
        const upstream = connect({ host: options.targetHost ?? '127.0.0.1', port: options.targetPort, noDelay: true });
        client.setNoDelay(true);
        p.#sockets.add(client).add(upstream);
        const up = new DelayedPipe(upstream, half);
        const down = new DelayedPipe(client, half);
        let last: 'up' | 'down' | null = null;
        client.on('data', (chunk: Buffer) => {
          if (last !== 'up') p.#counts.clientFlights += 1;
          last = 'up';
          p.#counts.bytesUp += chunk.length;
          up.push(chunk);
        });
        upstream.on('data', (chunk: Buffer) => {
          if (last !== 'down') p.#counts.serverFlights += 1;
          last = 'down';
          p.#counts.bytesDown += chunk.length;
          down.push(chunk);
        });
        client.on('end', () => up.push(null));
        upstream.on('end', () => down.push(null));
        const teardown = () => {
          up.stop();
          down.stop();
          client.destroy();
          upstream.destroy();
          p.#sockets.delete(client);
          p.#sockets.delete(upstream);
        };
        client.on('error', teardown).on('close', () => setTimeout(teardown, options.rttMs + 50).unref());
        upstream.on('error', teardown).on('close', () => setTimeout(teardown, options.rttMs + 50).unref());
      });
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const address = server.address();
        if (address === null || typeof address === 'string') return reject(new Error('latency proxy: no port'));
        proxy = new LatencyProxy(server, address.port, options.rttMs);
        resolve(proxy);
      });
    });
  }

  /** The counts so far (a copy). */
  counts(): ProxyCounts {
    return { ...this.#counts };
  }

  reset(): void {
    this.#counts = zero();
  }

  /** Stops listening and drops every proxied connection. */
  close(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    this.#sockets.clear();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
