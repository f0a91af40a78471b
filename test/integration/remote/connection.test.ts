import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { remoteConfigSchema } from '../../../src/config/remote';
import { ignoreEvents } from '../../../src/events';
import { silentLogger } from '../../../src/log';
import { resolveHosts } from '../../../src/remote/trust/hosts';
import { ConnectionPool } from '../../../src/remote/ssh/pool';
import { startLocalHosts, type HostsFixture } from '../../harness/hosts';

jest.setTimeout(120_000);

let fx: HostsFixture;
let pool: ConnectionPool;
// An empty HOME for the sessions: whatever the login user, its shell finds no rc file and
// a command ends within milliseconds, which the first test needs (TEA_TEST_USER may be a
// user whose ~/.bashrc takes seconds).
const home = mkdtempSync(join(tmpdir(), 'tea-it-home-'));
beforeAll(async () => {
  fx = await startLocalHosts({ count: 1, sshdOptions: { SetEnv: `HOME=${home}` } });
});
afterAll(async () => {
  await fx?.stop();
  rmSync(home, { recursive: true, force: true });
});
afterEach(async () => {
  await pool?.close();
});

function connection() {
  const remote = remoteConfigSchema.parse(fx.remoteConfig({ hosts: [fx.hosts[0]!.sshlogin] }));
  const [spec] = resolveHosts(remote);
  pool = new ConnectionPool([spec!], remote, silentLogger, ignoreEvents);
  return pool.get(spec!.id);
}

describe('HostConnection against real sshd', () => {
  // Found by the benchmark (bench/, stub basefile): a command that ends at once can
  // have its exit-status in the same socket read as the exec reply; a listener
  // attached after an await missed it and the flow failed as "ended by signal unknown".
  it('reports the exit status of commands that end at once, even when the client reads replies late', async () => {
    const conn = connection();
    await conn.connect();
    // Block the event loop in long bursts (several times one exec), so the server's
    // replies to an exec (success, exit-status, close) pile up unread and arrive in one read.
    const t0 = Date.now();
    expect((await conn.exec('exit 3', AbortSignal.timeout(60_000))).code).toBe(3);
    const blockMs = Math.min(10_000, 5 * (Date.now() - t0) + 200);
    const busy = setInterval(() => {
      const end = Date.now() + blockMs;
      while (Date.now() < end);
    }, blockMs + 5);
    try {
      const results = await Promise.all(Array.from({ length: 24 }, () => conn.exec('exit 3', AbortSignal.timeout(60_000))));
      expect(results.map((r) => [r.code, r.signal])).toEqual(results.map(() => [3, null]));
    } finally {
      clearInterval(busy);
    }
  });

  // Found by the benchmark (RSS growing with the number of flows): racing every
  // operation against a never-settling "lost" promise kept each result alive until
  // the connection closed.
  it('does not keep what an operation returned alive for the life of the connection', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const conn = connection();
    const { ops } = await conn.sftpLease();
    const guard = <T>(p: Promise<T>) => p;
    const file = `/tmp/tea-it-retain-${process.pid}.bin`;
    await guard(ops.writeFile(file, Buffer.alloc(1 << 20, 7), 0o600));
    // Only a WeakRef leaves the helper, so nothing here holds what readFile returned.
    const readWeakly = async () => {
      const data = await guard(ops.readFile(file));
      expect(data.length).toBe(1 << 20);
      return new WeakRef(data);
    };
    const refs = [await readWeakly(), await readWeakly(), await readWeakly()];
    // WeakRefs hold their target until the current job ends: let it end, then collect.
    await new Promise((resolve) => setImmediate(resolve));
    gc();
    await new Promise((resolve) => setImmediate(resolve));
    gc();
    expect(refs.map((r) => r.deref() === undefined)).toEqual([true, true, true]);
    await guard(ops.unlink(file));
  });
});
