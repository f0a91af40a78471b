// The harness's Dropbear hosts (Debian's dropbear-bin, as on routers and small devices), each
// proven to be what it claims: the server answering is dropbear, key login through the same
// fixture API (known_hosts, per-host authorized_keys, login counts), SFTP through
// /usr/lib/sftp-server or, where the host has none, the subsystem's exit 127; a stalled one;
// the login shell and rc files as with OpenSSH; the fault controls.
import { readFileSync, readlinkSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import type { Client } from 'ssh2';
import { startLocalHosts, type LocalHostsFixture } from '../../harness/hosts';
import { smokeHost } from '../../harness/smoke';
import { connectHost, execOn, openSftp, sftpRead, sftpWrite } from '../../harness/ssh-connect';
import { isAlive, processTree } from '../../harness/sshd-core';

jest.setTimeout(60_000);

function banner(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = tcpConnect(port, '127.0.0.1');
    s.once('data', (d) => (s.destroy(), resolve(d.toString().split('\r\n')[0] ?? '')));
    s.once('error', reject);
  });
}

/** Resolves 'opened' or the error text, or 'no answer' after `ms`. */
function trySftp(c: Client, ms: number): Promise<string> {
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve('no answer'), ms);
    c.sftp((err) => {
      clearTimeout(t);
      resolve(err ? err.message : 'opened');
    });
  });
}

async function eventually(check: () => boolean, ms = 5000): Promise<boolean> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 25));
  }
  return true;
}

const pidOf = (fx: LocalHostsFixture, i: number) => Number(readFileSync(fx.hosts[i]!.logPath.replace(/\.log$/, '.pid'), 'utf8').trim());

describe('Dropbear hosts', () => {
  let fx: LocalHostsFixture;
  const open: Client[] = [];
  const connect = async (f: LocalHostsFixture, i: number) => {
    const c = await connectHost(f, i);
    open.push(c);
    return c;
  };
  beforeAll(async () => {
    fx = await startLocalHosts({ count: 4, server: ['dropbear', 'dropbear', 'dropbear', 'openssh'], sftp: [undefined, 'none', 'stalled'], wrongKeyOn: [] });
  });
  afterEach(() => open.splice(0).forEach((c) => c.end()));
  afterAll(() => fx?.stop());

  it('are dropbear processes (banner, executable), beside an OpenSSH host in the same fixture', async () => {
    expect(fx.hosts.map((h) => [h.server, h.sftp])).toEqual([['dropbear', 'external'], ['dropbear', 'none'], ['dropbear', 'stalled'], ['openssh', 'internal']]);
    for (const i of [0, 1, 2]) {
      expect(await banner(fx.hosts[i]!.port)).toMatch(/^SSH-2\.0-dropbear_\d{4}\.\d+$/);
      expect(readlinkSync(`/proc/${pidOf(fx, i)}/exe`)).toBe('/usr/sbin/dropbear');
    }
    expect(await banner(fx.hosts[3]!.port)).toMatch(/^SSH-2\.0-OpenSSH_/);
  });

  it('with sftp-server: the smoke check (host key from known_hosts, exec with env, SFTP, login logged)', () => smokeHost(fx, 0));

  it('passes no client env but LANG (Dropbear 2022.83): a TEA_* variable does not arrive', async () => {
    const c = await connect(fx, 0);
    const res = await new Promise<string>((resolve, reject) => {
      c.exec('echo "[$TEA_X][$LANG]"', { env: { TEA_X: 'sent', LANG: 'C.UTF-8' } }, (err, ch) => {
        if (err) return reject(err);
        let out = '';
        ch.on('data', (d: Buffer) => (out += d.toString()));
        ch.on('close', () => resolve(out));
      });
    });
    expect(res).toBe('[][C.UTF-8]\n');
  });

  it('count key logins like sshd hosts do', async () => {
    const before = fx.countConnections(1);
    const c = await connect(fx, 1);
    expect(await execOn(c, 'echo ok')).toMatchObject({ code: 0, stdout: 'ok\n' });
    expect(await eventually(() => fx.countConnections(1) === before + 1)).toBe(true);
  });

  it('without sftp-server: the subsystem exits 127, exec works', async () => {
    const c = await connect(fx, 1);
    expect(await trySftp(c, 10_000)).toMatch(/exit code 127/);
    expect(await execOn(c, 'test -e /usr/lib/sftp-server || echo absent')).toMatchObject({ code: 0, stdout: 'absent\n' });
    // Only this host's view: the machine (and host 0) still have it.
    const c0 = await connect(fx, 0);
    expect(await execOn(c0, 'test -e /usr/lib/sftp-server && echo present')).toMatchObject({ code: 0, stdout: 'present\n' });
  });

  it('stalled sftp-server: the channel opens, never answers, and ends with the connection', async () => {
    const c = await connect(fx, 2);
    const before = new Set(processTree(pidOf(fx, 2)));
    expect(await trySftp(c, 2000)).toBe('no answer');
    const added = processTree(pidOf(fx, 2)).filter((p) => !before.has(p));
    expect(added.length).toBeGreaterThan(0);
    expect(await execOn(c, 'echo ok')).toMatchObject({ code: 0, stdout: 'ok\n' });
    c.end();
    expect(await eventually(() => added.every((p) => !isAlive(p)))).toBe(true);
  });
});

describe('Dropbear fault controls and keys', () => {
  let fx: LocalHostsFixture;
  beforeAll(async () => {
    fx = await startLocalHosts({ count: 2, server: 'dropbear', wrongKeyOn: [1] });
  });
  afterAll(() => fx?.stop());

  it('refuses the client key on a wrongKeyOn host: authorized_keys is per host', async () => {
    await expect(connectHost(fx, 1)).rejects.toThrow(/authentication methods failed/);
    const c = await connectHost(fx, 0);
    c.end();
  });

  it('restart with a new host key: same port, the new key served, known_hosts keeps the old one', async () => {
    const old = fx.hosts[0]!.hostPublicKey;
    await fx.restart(0, { newHostKey: true });
    expect(fx.hosts[0]!.hostPublicKey).not.toBe(old);
    expect(readFileSync(fx.knownHostsPath, 'utf8')).toContain(old);
    await expect(connectHost(fx, 0)).rejects.toThrow(/verification failed|Host denied/i);
  });

  it('pause makes connects hang, resume and kill work', async () => {
    await fx.restart(1);
    fx.pause(1);
    await expect(connectHost(fx, 1, { readyTimeout: 1000 })).rejects.toThrow(/Timed out/);
    fx.resume(1);
    await fx.kill(1);
    await expect(banner(fx.hosts[1]!.port)).rejects.toThrow(/ECONNREFUSED/);
  });
});

describe('Dropbear with other login shells', () => {
  it('runs the exec line with the login shell; a chatty .bashrc corrupts its SFTP like OpenSSH\'s external server', async () => {
    const [fish, bash] = await Promise.all([
      startLocalHosts({ count: 1, server: 'dropbear', loginShell: 'fish' }),
      startLocalHosts({ count: 1, server: 'dropbear', loginShell: 'bash', rcOutput: 'Welcome to the router\n' }),
    ]);
    try {
      const c = await connectHost(fish, 0);
      expect(await execOn(c, "/bin/sh -c 'readlink /proc/$PPID/exe'; true")).toEqual({ code: 0, stdout: '/usr/bin/fish\n', stderr: '' });
      c.end();
      const b = await connectHost(bash, 0);
      expect(await execOn(b, 'echo ok')).toEqual({ code: 0, stdout: 'Welcome to the router\nok\n', stderr: '' });
      const b2 = await connectHost(bash, 0);
      expect(await trySftp(b2, 10_000)).toMatch(/Packet length \d+ exceeds max length/);
      b.end();
      b2.end();
    } finally {
      await Promise.all([fish.stop(), bash.stop()]);
    }
  });

  it('refuses options that do not apply to dropbear', async () => {
    await expect(startLocalHosts({ count: 1, server: 'dropbear', sftp: 'internal' })).rejects.toThrow(/dropbear has no internal sftp/);
    await expect(startLocalHosts({ count: 1, server: 'dropbear', maxSessions: 1 })).rejects.toThrow(/maxSessions does not apply to dropbear/);
  });
});

describe('sftp on a dropbear host with its own file', () => {
  it('reads and writes through /usr/lib/sftp-server', async () => {
    const fx = await startLocalHosts({ count: 1, server: 'dropbear' });
    try {
      const c = await connectHost(fx, 0);
      const sftp = await openSftp(c);
      const file = `/tmp/tea-db-${process.pid}`;
      await sftpWrite(sftp, file, 'db\n');
      expect(await sftpRead(sftp, file)).toBe('db\n');
      c.end();
      expect(await fx.exec(0, `cat ${file} && rm ${file}`)).toEqual({ code: 0, stdout: 'db\n', stderr: '' });
    } finally {
      await fx.stop();
    }
  });
});
