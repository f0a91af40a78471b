import { createServer, type Server, type Socket } from 'node:net';
import { EventEmitter } from 'node:events';
import { silentLogger } from '../../../../src/log';
import { HostConnection } from '../../../../src/remote/ssh/connection';
import type { HostKeyPolicy } from '../../../../src/remote/trust/host-key-policy';
import type { HostSpec } from '../../../../src/remote/trust/hosts';
import { Semaphore } from '../../../../src/util/semaphore';

// ssh2 stubbed (a unit test): the client is "ready" at once and hands out fake SFTP
// channels. The real channel lifecycle is proven against sshd.
const mockChannels: EventEmitter[] = []; // every SFTP channel handed out
jest.mock('ssh2', () => {
  const { EventEmitter: Emitter } = jest.requireActual<typeof import('node:events')>('node:events');
  class FakeClient extends Emitter {
    connect(): void {
      setImmediate(() => this.emit('ready'));
    }
    sftp(cb: (err: Error | undefined, channel: unknown) => void): void {
      const channel = Object.assign(new Emitter(), {
        stat: (_p: string, _cb: unknown) => {
          /* never answers: a request in flight when the channel dies */
        },
      });
      mockChannels.push(channel);
      setImmediate(() => cb(undefined, channel));
    }
    end(): void {
      setImmediate(() => this.emit('close'));
    }
    destroy(): void {
      this.emit('close');
    }
  }
  return { Client: FakeClient };
});

describe('HostConnection lifecycle', () => {
  let server: Server;
  const sockets: Socket[] = [];
  let port = 0;
  beforeAll(async () => {
    server = createServer((s) => sockets.push(s));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  });
  afterAll(async () => {
    sockets.forEach((s) => s.destroy());
    await new Promise((resolve) => server.close(resolve));
  });

  const connection = () =>
    new HostConnection(
      { id: 'u@127.0.0.1', host: '127.0.0.1', port, user: 'u', jumps: [], identities: [], connectTimeoutSeconds: 5, alias: '127.0.0.1' } as unknown as HostSpec,
      { keepaliveIntervalSeconds: 0, keepaliveCountMax: 3, maxChannels: 4, sftpTimeoutSeconds: 5, channelWaitSeconds: 5 },
      () => ({ preferredAlgorithms: () => [], verify: () => null, path: '/dev/null' }) as unknown as HostKeyPolicy,
      new Semaphore(1),
      silentLogger,
      () => {},
    );

  it('close() leaves no timer behind once the connection has closed', async () => {
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const c = connection();
    (await c.sftpLease()).release();
    const before = timers();
    await c.close();
    expect(timers()).toBeLessThan(before + 1);
  });
});
