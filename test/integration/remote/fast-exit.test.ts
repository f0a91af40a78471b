import { remoteConfigSchema } from '../../../src/config/remote';
import { ignoreEvents } from '../../../src/events';
import { silentLogger } from '../../../src/log';
import { resolveHosts } from '../../../src/remote/hosts';
import { ConnectionPool } from '../../../src/remote/pool';
import { getHosts, type HostsFixture } from '../../harness/hosts';

jest.setTimeout(180_000);

let fx: HostsFixture;
beforeAll(async () => {
  fx = await getHosts({ count: 1 });
});
afterAll(async () => {
  await fx?.stop();
});

describe('HostConnection.exec against real sshd', () => {
  // Found by the benchmark (bench/, stub basefile): a command that ends at once can
  // have its exit-status in the same socket read as the exec reply; a listener
  // attached after an await missed it and the flow failed as "ended by signal unknown".
  it('reports the exit status of commands that end at once, even when the client reads replies late', async () => {
    const remote = remoteConfigSchema.parse(fx.remoteConfig({ hosts: [fx.hosts[0]!.sshlogin] }));
    const [spec] = resolveHosts(remote);
    const pool = new ConnectionPool([spec!], remote, silentLogger, ignoreEvents);
    const connection = pool.get(spec!.id);
    await connection.connect();
    // Block the event loop longer than one exec takes (login shells with heavy rc files
    // make that seconds), so the server's replies for an exec (success, exit-status,
    // close) pile up unread and arrive in one read.
    const t0 = Date.now();
    expect((await connection.exec('exit 3', AbortSignal.timeout(60_000))).code).toBe(3);
    const blockMs = Math.min(10_000, 3 * (Date.now() - t0) + 100);
    const busy = setInterval(() => {
      const end = Date.now() + blockMs;
      while (Date.now() < end);
    }, blockMs + 5);
    try {
      const results = await Promise.all(Array.from({ length: 16 }, () => connection.exec('exit 3', AbortSignal.timeout(100_000))));
      expect(results.map((r) => [r.code, r.signal])).toEqual(results.map(() => [3, null]));
    } finally {
      clearInterval(busy);
      await pool.close();
    }
  });
});
