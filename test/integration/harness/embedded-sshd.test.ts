/**
 * The embedded SSH host (test/harness/embedded-sshd.js) must behave like OpenSSH's sshd
 * where a client can tell: every check below runs against a real sshd (the local
 * harness) AND the embedded host, with the same expectations. What OpenSSH does is the
 * reference; the embedded host is never used where OpenSSH behaviour is the point.
 */
import { readFileSync } from 'node:fs';
import { Client, type ClientChannel, type SFTPWrapper } from 'ssh2';
import { EmbeddedSshCluster, generateKey } from '../../harness/embedded-sshd';
import { startLocalHosts } from '../../harness/hosts';
import { execOn, knownHostKeys, openSftp } from '../../harness/ssh-connect';

jest.setTimeout(60_000);

interface Backend {
  host: string;
  port: number;
  user: string;
  clientKeyPath: string;
  knownHostsPath: string;
  stop(): Promise<void>;
}

const backends: Record<string, () => Promise<Backend>> = {
  openssh: async () => {
    const fx = await startLocalHosts({ count: 1 });
    const h = fx.hosts[0]!;
    return { host: h.host, port: h.port, user: h.user, clientKeyPath: fx.clientKeyPath, knownHostsPath: fx.knownHostsPath, stop: () => fx.stop() };
  },
  // AcceptEnv TEA_* and a /bin/sh login shell, as the local harness's sshd and tea-test user.
  embedded: async () => {
    const c = await EmbeddedSshCluster.start({ count: 1, acceptEnv: ['TEA_*'], shell: '/bin/sh' });
    const h = c.describe().hosts[0]!;
    return { host: h.host, port: h.port, user: h.user, clientKeyPath: c.clientKeyPath, knownHostsPath: c.knownHostsPath, stop: () => c.stop({ rm: true }) };
  },
};

function connect(b: Backend, o: { user?: string; key?: string | Buffer } = {}): Promise<Client> {
  const allowed = knownHostKeys(b.knownHostsPath, b.host, b.port);
  const client = new Client();
  return new Promise((resolve, reject) => {
    client.on('error', reject);
    client.on('ready', () => resolve(client));
    client.connect({
      host: b.host, port: b.port, username: o.user ?? b.user, readyTimeout: 10_000,
      privateKey: o.key ?? readFileSync(b.clientKeyPath),
      hostVerifier: (key: Buffer) => allowed.some((k) => k.equals(key)),
    });
  });
}

interface ExecEnd {
  code: number | null;
  signal: string | undefined;
  stdout: string;
}

interface Exec {
  ch: ClientChannel;
  /** The exit (code or signal) and stdout, once the channel closes. */
  done: Promise<ExecEnd>;
  /** Resolves at the first stdout data. */
  output: Promise<void>;
}

/**
 * Listeners go on in the exec callback itself: ssh2 parses every packet of a TCP read at
 * once, so a fast command's exit-signal and close can be emitted before a promise continuation.
 */
function openExec(client: Client, command: string): Promise<Exec> {
  return new Promise((resolve, reject) =>
    client.exec(command, (err, ch) => {
      if (err) return reject(err);
      let stdout = '';
      let code: number | null = null;
      let signal: string | undefined;
      let gotOutput: () => void = () => {};
      const output = new Promise<void>((r) => (gotOutput = r));
      ch.on('data', (d: Buffer) => { stdout += d.toString(); gotOutput(); });
      ch.stderr.resume();
      ch.on('exit', (c: number | null, sg?: string) => { code = c; signal = sg; });
      const done = new Promise<ExecEnd>((r) => ch.on('close', () => r({ code, signal, stdout })));
      resolve({ ch, done, output });
    }),
  );
}

async function eventually<T>(probe: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (ok(v) || Date.now() > end) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
}

const sftpCall = <T>(fn: (cb: (err: Error | undefined | null, v?: T) => void) => void): Promise<T> =>
  new Promise((resolve, reject) => fn((err, v) => (err ? reject(err) : resolve(v as T))));
const sftpCode = (p: Promise<unknown>): Promise<number | 'ok'> =>
  p.then(() => 'ok' as const, (err: { code?: number }) => err.code ?? -1);

describe.each(Object.keys(backends))('SSH semantics on the %s host', (name) => {
  let b: Backend;
  let client: Client;
  let dir: string;
  beforeAll(async () => {
    b = await backends[name]!();
    client = await connect(b);
    dir = (await execOn(client, 'mktemp -d /tmp/tea-embedded-parity-XXXXXX')).stdout.trim();
    expect(dir).toMatch(/^\/tmp\/tea-embedded-parity-/);
  });
  afterAll(async () => {
    if (client && dir) await execOn(client, `rm -rf '${dir}'`);
    client?.end();
    await b?.stop();
  });

  it('exec: stdin in, stdout and stderr apart, the exit status', async () => {
    const { ch, done } = await openExec(client, 'cat; echo err >&2; exit 3');
    ch.end('from stdin\n');
    expect(await done).toEqual({ code: 3, signal: undefined, stdout: 'from stdin\n' });
    expect(await execOn(client, 'echo err >&2; exit 4')).toEqual({ code: 4, stdout: '', stderr: 'err\n' });
  });

  it('exec: a command killed by a signal is reported as exit-signal', async () => {
    const res = await (await openExec(client, 'kill -TERM $$')).done;
    expect(res.signal).toBe('SIGTERM');
  });

  it('exec: runs through the login shell in the home directory, with the fresh session environment', async () => {
    const res = await execOn(client, 'pwd; echo "$HOME|$USER|${SSH_CONNECTION:+set}"');
    const [pwd, vars] = res.stdout.trim().split('\n');
    expect(vars).toBe(`${pwd}|${b.user}|set`);
  });

  it('a channel closed without EOF ends the command\'s stdin; the command itself is not killed', async () => {
    const { ch, output } = await openExec(client, `echo ready; cat >/dev/null; echo got-eof > '${dir}/eof'`);
    await output;
    ch.close();
    const res = await eventually(() => execOn(client, `cat '${dir}/eof' 2>/dev/null`), (r) => r.stdout === 'got-eof\n');
    expect(res.stdout).toBe('got-eof\n');
  });

  it('a signal request reaches the session\'s whole process group', async () => {
    const { ch, done, output } = await openExec(client, `sleep 30 & echo $! > '${dir}/bg'; echo ready; wait`);
    await output;
    ch.signal('TERM');
    expect((await done).signal).toBe('SIGTERM');
    const bg = (await execOn(client, `cat '${dir}/bg'`)).stdout.trim();
    expect(bg).toMatch(/^\d+$/);
    const alive = await eventually(() => execOn(client, `kill -0 ${bg} 2>/dev/null && echo alive || echo gone`), (r) => r.stdout === 'gone\n');
    expect(alive.stdout).toBe('gone\n');
  });

  it('env requests: names matching AcceptEnv (TEA_*) are set, others are refused', async () => {
    const res = await execOn(client, 'echo "${TEA_PARITY-unset}|${OTHER_PARITY-unset}"', { TEA_PARITY: 'yes', OTHER_PARITY: 'no' });
    expect(res.stdout).toBe('yes|unset\n');
  });

  it('refuses an unknown key and another user name', async () => {
    const other = generateKey('stranger').privateKey;
    await expect(connect(b, { key: other })).rejects.toThrow(/authentication methods failed/);
    await expect(connect(b, { user: 'tea-nobody-here' })).rejects.toThrow(/authentication methods failed/);
  });

  it('MaxSessions 10: the 11th session channel on one connection is refused', async () => {
    const c = await connect(b);
    try {
      const open: ClientChannel[] = [];
      for (let i = 0; i < 10; i++) open.push((await openExec(c, 'cat')).ch);
      // Reason 2 (SSH_OPEN_CONNECT_FAILED), as OpenSSH; its text ("open failed") ssh2's Server cannot set.
      await expect(openExec(c, 'cat')).rejects.toMatchObject({ message: expect.stringMatching(/^\(SSH\) Channel open failure/), reason: 2 });
      open.forEach((ch) => ch.end());
    } finally {
      c.end();
    }
  });

  describe('SFTP', () => {
    let sftp: SFTPWrapper;
    beforeAll(async () => {
      sftp = await openSftp(client);
    });
    afterAll(() => sftp?.end());

    it('relative paths start at the home directory', async () => {
      const home = (await execOn(client, 'cd && pwd -P')).stdout.trim();
      expect(await sftpCall<string>((cb) => sftp.realpath('.', cb))).toBe(home);
    });

    it('mkdir, stat, writeFile with modes; status codes for missing and existing paths', async () => {
      await sftpCall((cb) => sftp.mkdir(`${dir}/d`, { mode: 0o700 }, cb));
      expect((await sftpCall<{ mode: number }>((cb) => sftp.stat(`${dir}/d`, cb))).mode & 0o7777).toBe(0o700);
      expect(await sftpCode(sftpCall((cb) => sftp.mkdir(`${dir}/d`, cb)))).toBe(4);
      expect(await sftpCode(sftpCall((cb) => sftp.stat(`${dir}/missing`, cb)))).toBe(2);
      expect(await sftpCode(sftpCall((cb) => sftp.realpath(`${dir}/missing/deeper`, cb)))).toBe(2);
      await sftpCall((cb) => sftp.writeFile(`${dir}/d/f`, 'content', { mode: 0o600 }, cb));
      const st = await sftpCall<{ mode: number; size: number }>((cb) => sftp.stat(`${dir}/d/f`, cb));
      expect([st.mode & 0o7777, st.size]).toEqual([0o600, 7]);
      expect((await execOn(client, `cat '${dir}/d/f'`)).stdout).toBe('content');
    });

    it('rename refuses an existing target, posix-rename@openssh.com replaces it', async () => {
      await sftpCall((cb) => sftp.writeFile(`${dir}/a`, 'A', cb));
      await sftpCall((cb) => sftp.writeFile(`${dir}/b`, 'B', cb));
      expect(await sftpCode(sftpCall((cb) => sftp.rename(`${dir}/a`, `${dir}/b`, cb)))).toBe(4);
      await sftpCall((cb) => sftp.ext_openssh_rename(`${dir}/a`, `${dir}/b`, cb));
      expect((await sftpCall<Buffer>((cb) => sftp.readFile(`${dir}/b`, cb))).toString()).toBe('A');
      expect(await sftpCode(sftpCall((cb) => sftp.stat(`${dir}/a`, cb)))).toBe(2);
    });

    it('readdir, unlink, rmdir', async () => {
      await sftpCall((cb) => sftp.mkdir(`${dir}/r`, cb));
      await sftpCall((cb) => sftp.writeFile(`${dir}/r/x`, '1', cb));
      const names = (await sftpCall<Array<{ filename: string }>>((cb) => sftp.readdir(`${dir}/r`, cb))).map((e) => e.filename);
      expect(names).toEqual(['x']);
      expect(await sftpCode(sftpCall((cb) => sftp.rmdir(`${dir}/r`, cb)))).toBe(4);
      await sftpCall((cb) => sftp.unlink(`${dir}/r/x`, cb));
      await sftpCall((cb) => sftp.rmdir(`${dir}/r`, cb));
      expect(await sftpCode(sftpCall((cb) => sftp.stat(`${dir}/r`, cb)))).toBe(2);
    });

    it('fastPut of a large file arrives intact', async () => {
      const local = `${process.cwd()}/package-lock.json`;
      await sftpCall((cb) => sftp.fastPut(local, `${dir}/big`, { concurrency: 64, chunkSize: 32768 }, cb));
      const remote = await sftpCall<Buffer>((cb) => sftp.readFile(`${dir}/big`, cb));
      expect(remote.equals(readFileSync(local))).toBe(true);
    });
  });
});
