// The local harness's fault controls, each proven against real sshd behaviour, since the
// reliability tests (timeouts, refused hosts, changed keys, channel limits) build on them.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import type { Client } from 'ssh2';
import { startLocalHosts, type LocalHostsFixture } from '../harness/hosts';
import { isAlive, processTree } from '../harness/sshd-core';
import { connectHost, execOn } from '../harness/ssh-connect';

jest.setTimeout(30_000);

/** Listener pids of a fixture: sshd keeps its config path (under the fixture dir) in its title. */
function listenerPids(fx: LocalHostsFixture): number[] {
  const dir = dirname(fx.clientKeyPath);
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(`${dir}/`) && isAlive(Number(p));
      } catch {
        return false;
      }
    })
    .map(Number);
}

function tcpConnect(port: number): Promise<'connected' | string> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), resolve('connected')));
    s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
  });
}

describe('local harness fault controls', () => {
  let fx: LocalHostsFixture;
  const open: Client[] = [];
  beforeAll(async () => {
    fx = await startLocalHosts({
      count: 3,
      sshdOptions: [{ MaxSessions: '2', MaxStartups: '100:30:200' }],
      wrongKeyOn: [2],
    });
  });
  afterEach(() => open.splice(0).forEach((c) => c.end()));
  afterAll(() => fx?.stop());

  const connectKept = async (i: number, opts = {}) => {
    const c = await connectHost(fx, i, opts);
    open.push(c);
    return c;
  };

  it('applies per-host sshd options to that host only', () => {
    const titles = listenerPids(fx).map((p) => readFileSync(`/proc/${p}/cmdline`, 'utf8'));
    expect(titles.filter((t) => t.includes('of 100-200 startups'))).toHaveLength(1);
    expect(titles.filter((t) => t.includes('of 10-100 startups'))).toHaveLength(2);
  });

  it('MaxSessions 2 refuses the third channel on one connection', async () => {
    const c = await connectKept(0);
    const first = [execOn(c, 'sleep 1'), execOn(c, 'sleep 1')];
    await new Promise((r) => setTimeout(r, 200)); // both channels open on the server
    await expect(execOn(c, 'true')).rejects.toThrow(/open failed/);
    for (const res of await Promise.all(first)) expect(res.code).toBe(0);
    // Host 1 has OpenSSH's default (10): three at once are fine there.
    const d = await connectKept(1);
    await expect(Promise.all([1, 2, 3].map(() => execOn(d, 'sleep 0.2')))).resolves.toHaveLength(3);
  });

  it('a host with a wrong authorized key refuses the client key', async () => {
    await expect(connectHost(fx, 2)).rejects.toThrow(/authentication methods failed/);
    expect(fx.readLog(2)).toMatch(/Connection from 127\.0\.0\.1/);
    expect(fx.countConnections(2)).toBe(0);
  });

  it('pause makes a connect time out; resume brings it back', async () => {
    fx.pause(1);
    try {
      await expect(connectHost(fx, 1, { readyTimeout: 1000 })).rejects.toThrow(/Timed out while waiting for handshake/);
    } finally {
      fx.resume(1);
    }
    await connectKept(1);
  });

  it('pause also freezes open connections', async () => {
    const c = await connectKept(1);
    fx.pause(1);
    try {
      const res = execOn(c, 'echo late');
      const raced = await Promise.race([res, new Promise((r) => setTimeout(() => r('frozen'), 700))]);
      expect(raced).toBe('frozen');
      fx.resume(1);
      await expect(res).resolves.toMatchObject({ code: 0, stdout: 'late\n' });
    } finally {
      fx.resume(1);
    }
  });

  it('kill leaves nothing listening and drops open connections; restart comes back on the same port', async () => {
    const c = await connectKept(1);
    const closed = new Promise<void>((r) => c.once('close', () => r()));
    const port = fx.hosts[1]!.port;
    const key = fx.hosts[1]!.hostPublicKey;
    await fx.kill(1);
    await closed;
    expect(await tcpConnect(port)).toBe('ECONNREFUSED');
    await expect(connectHost(fx, 1)).rejects.toThrow(/ECONNREFUSED/);

    await fx.restart(1);
    expect(fx.hosts[1]!.port).toBe(port);
    expect(fx.hosts[1]!.hostPublicKey).toBe(key);
    const before = fx.countConnections(1);
    await connectKept(1); // known_hosts still matches
    expect(fx.countConnections(1)).toBe(before + 1);
  });

  it('restart with a new host key fails the known_hosts check', async () => {
    const old = fx.hosts[0]!.hostPublicKey;
    const knownBefore = readFileSync(fx.knownHostsPath, 'utf8');
    await fx.restart(0, { newHostKey: true });
    expect(fx.hosts[0]!.hostPublicKey).not.toBe(old);
    expect(readFileSync(fx.knownHostsPath, 'utf8')).toBe(knownBefore);
    await expect(connectHost(fx, 0)).rejects.toThrow(/verification failed/);

    const fresh = join(dirname(fx.knownHostsPath), 'known_hosts.new');
    writeFileSync(fresh, `[127.0.0.1]:${fx.hosts[0]!.port} ${fx.hosts[0]!.hostPublicKey}\n`);
    await connectKept(0, { knownHostsPath: fresh });
  });
});

describe('stop', () => {
  it('leaves no process of the fixture running, sessions included', async () => {
    const fx = await startLocalHosts({ count: 2 });
    const c = await connectHost(fx, 0);
    c.on('close', () => undefined);
    await execOn(c, 'true');
    c.exec('sleep 60', () => undefined); // a live session under host 0
    await new Promise((r) => setTimeout(r, 300));

    const listeners = listenerPids(fx);
    expect(listeners).toHaveLength(2);
    const all = listeners.flatMap(processTree);
    expect(all.length).toBeGreaterThan(2);

    fx.pause(1); // a stopped host must die too
    await fx.stop();
    expect(all.filter(isAlive)).toEqual([]);
    expect(listenerPids(fx)).toEqual([]);
    for (const h of fx.hosts) expect(await tcpConnect(h.port)).toBe('ECONNREFUSED');
    c.end();
  });
});
