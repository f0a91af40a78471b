// The bench's latency proxy (bench/lib/latency-proxy.ts): every byte arrives, in order, no
// sooner than half the RTT later in each direction, and its flight count is what the round-trip
// row reports. Lower bounds only: a loaded machine may deliver later, never sooner.
import { createServer, connect, type Server, type Socket } from 'node:net';
import { LatencyProxy } from '../../../bench/lib/latency-proxy';

jest.setTimeout(60_000);

let echo: Server;
let echoPort = 0;
beforeAll(async () => {
  echo = createServer((s) => s.pipe(s));
  await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
  echoPort = (echo.address() as { port: number }).port;
});
afterAll(() => new Promise<void>((resolve) => echo.close(() => resolve())));

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port, noDelay: true }, () => resolve(s));
    s.once('error', reject);
  });
}

/** Writes `text` and resolves with the time until `bytes` bytes came back. */
function ask(s: Socket, text: string, bytes: number): Promise<number> {
  const started = performance.now();
  return new Promise((resolve) => {
    let got = 0;
    const onData = (d: Buffer) => {
      got += d.length;
      if (got >= bytes) {
        s.off('data', onData);
        resolve(performance.now() - started);
      }
    };
    s.on('data', onData);
    s.write(text);
  });
}

it('delays each round trip by at least the RTT and keeps the byte order', async () => {
  const proxy = await LatencyProxy.start({ targetPort: echoPort, rttMs: 60 });
  const s = await open(proxy.port);
  try {
    const received: Buffer[] = [];
    s.on('data', (d: Buffer) => received.push(d));
    const parts = Array.from({ length: 200 }, (_, i) => `${i},`);
    const all = parts.join('');
    const elapsed = await ask(s, all.slice(0, 1), 1);
    expect(elapsed).toBeGreaterThanOrEqual(59);
    // The rest in many small writes, each its own chunk through the proxy's queue.
    for (const p of all.slice(1).match(/.{1,7}/g)!) s.write(p);
    await new Promise<void>((resolve) => {
      const check = () => (Buffer.concat(received).length >= all.length ? resolve() : setTimeout(check, 10));
      check();
    });
    expect(Buffer.concat(received).toString()).toBe(all);
  } finally {
    s.destroy();
    await proxy.close();
  }
});

it('counts one client flight per request that waits for its answer, and the connections', async () => {
  const proxy = await LatencyProxy.start({ targetPort: echoPort, rttMs: 20 });
  try {
    const a = await open(proxy.port);
    for (let i = 0; i < 5; i += 1) await ask(a, 'ping', 4);
    a.destroy();
    const b = await open(proxy.port);
    await ask(b, 'x', 1);
    b.destroy();
    expect(proxy.counts()).toMatchObject({ connections: 2, clientFlights: 6, serverFlights: 6, bytesUp: 21, bytesDown: 21 });
    proxy.reset();
    expect(proxy.counts()).toEqual({ connections: 0, clientFlights: 0, serverFlights: 0, bytesUp: 0, bytesDown: 0 });
  } finally {
    await proxy.close();
  }
});
