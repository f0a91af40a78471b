// The harness's OpenSSH variants and its attacker account, each proven to be what it claims
// against the real sshd: Debian's stock external sftp-server (and what a chatty .bashrc does to
// it), no Subsystem line, MaxSessions 1, a subsystem that never answers, the second local user.
import { readFileSync, statSync } from 'node:fs';
import type { Client } from 'ssh2';
import { startLocalHosts, type LocalHostsFixture } from '../../harness/hosts';
import { connectHost, execOn, openSftp, sftpRead, sftpWrite } from '../../harness/ssh-connect';
import { isAlive, processTree } from '../../harness/sshd-core';

jest.setTimeout(60_000);

/** Command lines of every process under host i's sshd (sessions, subsystems). */
function sessionCommands(fx: LocalHostsFixture, i: number): Array<{ pid: number; cmd: string }> {
  const listener = Number(readFileSync(`${fx.hosts[i]!.logPath.replace(/sshd\.log$/, 'sshd.pid')}`, 'utf8').trim());
  return processTree(listener).map((pid) => {
    try {
      return { pid, cmd: readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim() };
    } catch {
      return { pid, cmd: '' };
    }
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

describe('OpenSSH variants', () => {
  let fx: LocalHostsFixture;
  let chatty: LocalHostsFixture;
  const open: Client[] = [];
  const connect = async (f: LocalHostsFixture, i: number) => {
    const c = await connectHost(f, i);
    open.push(c);
    return c;
  };
  beforeAll(async () => {
    [fx, chatty] = await Promise.all([
      startLocalHosts({ count: 5, sftp: ['internal', 'external', 'none', 'stalled', undefined], maxSessions: [undefined, undefined, undefined, undefined, 1] }),
      startLocalHosts({ count: 1, sftp: 'external', loginShell: 'bash', rcOutput: 'Welcome to a chatty host\n' }),
    ]);
  });
  afterEach(() => open.splice(0).forEach((c) => c.end()));
  afterAll(async () => {
    await Promise.all([fx?.stop(), chatty?.stop()]);
  });

  it('writes the Subsystem line each host asks for', () => {
    const subsystem = (i: number) => readFileSync(fx.hosts[i]!.logPath.replace(/sshd\.log$/, 'sshd_config'), 'utf8').split('\n').filter((l) => /^Subsystem /i.test(l));
    expect([0, 1, 2, 3].map(subsystem)).toEqual([
      ['Subsystem sftp internal-sftp'],
      ['Subsystem sftp /usr/lib/openssh/sftp-server'],
      [],
      [expect.stringMatching(/^Subsystem sftp \/.*\/stalled-sftp-server$/)],
    ]);
  });

  it('external: SFTP works through the stock sftp-server process, started under the session', async () => {
    const c = await connect(fx, 1);
    const sftp = await openSftp(c);
    const file = `/tmp/tea-harness-ext-${process.pid}`;
    await sftpWrite(sftp, file, 'external\n');
    expect(await sftpRead(sftp, file)).toBe('external\n');
    expect(sessionCommands(fx, 1).some((p) => p.cmd.startsWith('/usr/lib/openssh/sftp-server'))).toBe(true);
    await new Promise<void>((r) => sftp.unlink(file, () => r()));
  });

  it('external with a chatty .bashrc: the rc text corrupts the SFTP stream, exec still works', async () => {
    const c = await connect(chatty, 0);
    expect(await trySftp(c, 10_000)).toMatch(/Packet length \d+ exceeds max length/);
    const c2 = await connect(chatty, 0);
    expect(await execOn(c2, 'echo ok')).toEqual({ code: 0, stdout: 'Welcome to a chatty host\nok\n', stderr: '' });
  });

  it('none: the sftp subsystem is refused, exec works', async () => {
    const c = await connect(fx, 2);
    expect(await trySftp(c, 10_000)).toMatch(/Unable to start subsystem: sftp/);
    expect(await execOn(c, 'echo ok')).toMatchObject({ code: 0, stdout: 'ok\n' });
  });

  it('stalled: the channel opens, the server never answers, and it ends with the connection', async () => {
    const c = await connect(fx, 3);
    expect(await trySftp(c, 2000)).toBe('no answer');
    const stalled = sessionCommands(fx, 3).filter((p) => /stalled-sftp-server|^cat$/.test(p.cmd));
    expect(stalled.length).toBeGreaterThan(0);
    // Exec on the same connection is unaffected.
    expect(await execOn(c, 'echo ok')).toMatchObject({ code: 0, stdout: 'ok\n' });
    c.end();
    expect(await eventually(() => stalled.every((p) => !isAlive(p.pid)))).toBe(true);
  });

  it('MaxSessions 1: an open SFTP channel leaves no room for an exec, and the next connection is fine', async () => {
    const c = await connect(fx, 4);
    const sftp = await openSftp(c);
    await expect(execOn(c, 'true')).rejects.toThrow(/open failed/);
    sftp.end();
    const c2 = await connect(fx, 4);
    expect(await execOn(c2, 'echo ok')).toMatchObject({ code: 0, stdout: 'ok\n' });
    await expect(execOn(c2, 'true').then(() => execOn(c2, 'true'))).resolves.toMatchObject({ code: 0 });
  });

  it('refuses an unknown sftp mode', async () => {
    await expect(startLocalHosts({ count: 1, sftp: 'ftp' as 'none' })).rejects.toThrow(/sftp must be one of internal, external, none, stalled \(got "ftp" for host 0\)/);
  });
});

describe('the attacker account', () => {
  let fx: LocalHostsFixture;
  beforeAll(async () => {
    fx = await startLocalHosts({ count: 1, attacker: true });
  });
  afterAll(() => fx?.stop());

  it('is another local user that writes the shared directory, and the login user sees its files', async () => {
    const a = fx.attacker!;
    expect(a.user).toBe('tea-attacker');
    expect(a.user).not.toBe(fx.hosts[0]!.user);
    expect(await a.exec('id -un')).toEqual({ code: 0, stdout: 'tea-attacker\n', stderr: '' });
    expect(statSync(a.sharedDir).mode & 0o7777).toBe(0o777);
    expect(await a.exec(`echo planted > ${a.sharedDir}/x && ln -s /etc/hostname ${a.sharedDir}/link`)).toMatchObject({ code: 0 });
    expect(statSync(`${a.sharedDir}/x`).uid).toBe(a.uid);
    expect(await fx.exec(0, `cat ${a.sharedDir}/x`)).toEqual({ code: 0, stdout: 'planted\n', stderr: '' });
    // ... and the login user's files there can be replaced by the attacker (no sticky bit).
    expect(await fx.exec(0, `echo mine > ${a.sharedDir}/victim`)).toMatchObject({ code: 0 });
    expect(await a.exec(`mv -f x victim`)).toMatchObject({ code: 0 });
    expect(await fx.exec(0, `cat ${a.sharedDir}/victim`)).toMatchObject({ stdout: 'planted\n' });
  });

  it('cannot write the login user\'s home', async () => {
    const home = (await fx.exec(0, 'cd && pwd')).stdout.trim();
    expect(home).toMatch(/^\/home\//);
    expect((await fx.attacker!.exec(`touch ${home}/attacker-was-here`)).code).not.toBe(0);
  });
});
