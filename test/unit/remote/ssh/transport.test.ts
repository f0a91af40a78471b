import { EventEmitter } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { TeaError } from '../../../../src/errors';
import { silentLogger } from '../../../../src/log';
import { clientConfig } from '../../../../src/remote/ssh/client-config';
import { openTransport } from '../../../../src/remote/ssh/transport';
import type { HostKeyPolicy } from '../../../../src/remote/trust/host-key-policy';
import type { HostSpec } from '../../../../src/remote/trust/hosts';

// ssh2 stubbed: a jump host that is "ready" at once and never answers forwardOut
// until the test says so. Real ProxyJump is proven against sshd (connection suite).
const mockJumps: Array<EventEmitter & { ended: boolean; answer?: (stream: { destroy: () => void; destroyed: boolean }) => void }> = [];
jest.mock('ssh2', () => {
  const { EventEmitter: Emitter } = jest.requireActual<typeof import('node:events')>('node:events');
  class FakeClient extends Emitter {
    ended = false;
    answer?: (stream: unknown) => void;
    constructor() {
      super();
      mockJumps.push(this as never);
    }
    connect(): void {
      setImmediate(() => this.emit('ready'));
    }
    forwardOut(_a: string, _b: number, _h: string, _p: number, cb: (err: Error | undefined, stream: unknown) => void): void {
      this.answer = (stream) => cb(undefined, stream);
    }
    end(): void {
      this.ended = true;
      setImmediate(() => this.emit('close'));
    }
  }
  return { Client: FakeClient };
});

const policy = { preferredAlgorithms: () => [], verify: () => null, path: '/dev/null' } as unknown as HostKeyPolicy;

describe('ProxyJump transport', () => {
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

  it('forwardOut honours abort and never leaks the jump connection or a late channel', async () => {
    const jump = { id: 'j@127.0.0.1', host: '127.0.0.1', port, user: 'j', alias: 'jump', jumps: [], identities: [], connectTimeoutSeconds: 5 };
    const spec = { id: 'u@target', host: 'target', port: 22, user: 'u', alias: 'target', jumps: [jump], identities: [], connectTimeoutSeconds: 5 } as unknown as HostSpec;
    const controller = new AbortController();
    const opening = openTransport(spec, { hostKeys: () => policy, keepalive: { keepaliveIntervalSeconds: 0, keepaliveCountMax: 3 }, logger: silentLogger }, controller.signal);
    await new Promise((r) => setTimeout(r, 50)); // the jump is ready, forwardOut is pending
    expect(mockJumps).toHaveLength(1);
    const reason = new TeaError('E_CONNECT_TIMEOUT', 'gave up');
    controller.abort(reason);
    await expect(opening).rejects.toBe(reason);
    expect(mockJumps[0]!.ended).toBe(true); // the jump connection is let go
    const late = { destroyed: false, destroy() {
      this.destroyed = true;
    } };
    mockJumps[0]!.answer!(late);
    expect(late.destroyed).toBe(true); // a channel that arrives after the abort is closed
  });
});

describe('an unusable known_hosts', () => {
  for (const code of ['EACCES', 'EISDIR']) {
    it(`(${code}) makes the host key check refuse with a clear error instead of throwing inside the handshake`, () => {
      const broken = {
        path: '/home/u/.ssh/known_hosts',
        preferredAlgorithms: () => {
          throw Object.assign(new Error(`${code}: cannot read`), { code });
        },
        verify: () => {
          throw Object.assign(new Error(`${code}: cannot read`), { code });
        },
      } as unknown as HostKeyPolicy;
      const spec = { id: 'u@h:22', host: 'h', port: 22, user: 'u', identities: [], connectTimeoutSeconds: 5 } as unknown as HostSpec;
      let reported: TeaError | null = null;
      const config = clientConfig(spec, {} as never, broken, { keepaliveIntervalSeconds: 0, keepaliveCountMax: 3 }, (e) => (reported = e));
      const verifier = config.hostVerifier as (key: Buffer) => boolean;
      expect(verifier(Buffer.from('key'))).toBe(false);
      expect(reported).toMatchObject({ code: 'E_HOST_KEY_REJECTED' });
      expect(reported!.message).toBe(`u@h:22: cannot check the host key: known_hosts /home/u/.ssh/known_hosts cannot be used (${code}: cannot read): make it a readable file, or point remote.known_hosts elsewhere`);
    });
  }
});
