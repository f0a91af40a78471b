// The harness's login users (test/harness/users.js), each proven to be what it claims over a
// real sshd: the login shell sshd runs for an exec is that shell, its rc file prints the text
// asked for (or nothing, for shells that read no rc file in an exec), and accounts are created
// once even when several processes ask for the same new one at the same moment.
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import { startLocalHosts, type LoginShell, type LocalHostsFixture } from '../../harness/hosts';
import { connectHost, execOn } from '../../harness/ssh-connect';
import { RC_READ_BY_EXEC, SHELLS } from '../../harness/users';

jest.setTimeout(60_000);

/** Path of the process that ran the exec line: the shell's exe (the `; true` stops bash/zsh from exec'ing the last command). */
const PARENT_EXE = "/bin/sh -c 'readlink /proc/$PPID/exe'; true";

async function execOnce(fx: LocalHostsFixture, command: string) {
  const c = await connectHost(fx, 0);
  try {
    return await execOn(c, command);
  } finally {
    c.end();
  }
}

const shells = Object.keys(SHELLS) as Array<keyof typeof SHELLS>;

describe.each(shells)('login shell %s', (shell) => {
  const rcOutput = `Welcome to the ${shell} host!\n`;
  let quiet: LocalHostsFixture;
  let chatty: LocalHostsFixture;
  beforeAll(async () => {
    [quiet, chatty] = await Promise.all([startLocalHosts({ count: 1, loginShell: shell }), startLocalHosts({ count: 1, loginShell: shell, rcOutput })]);
  });
  afterAll(async () => {
    await Promise.all([quiet?.stop(), chatty?.stop()]);
  });

  it('is the shell sshd runs the exec line with', async () => {
    const expected = realpathSync(SHELLS[shell]);
    expect(quiet.loginShell).toBe(SHELLS[shell]);
    expect(execFileSync('getent', ['passwd', quiet.hosts[0]!.user], { encoding: 'utf8' }).trim().split(':')[6]).toBe(SHELLS[shell]);
    expect(await execOnce(quiet, PARENT_EXE)).toEqual({ code: 0, stdout: `${expected}\n`, stderr: '' });
  });

  it('quiet user: an exec prints only its own output', async () => {
    expect(quiet.hosts[0]!.user).toBe(shell === 'sh' ? 'tea-test' : `tea-${shell}`);
    expect(await execOnce(quiet, 'echo tea-out')).toEqual({ code: 0, stdout: 'tea-out\n', stderr: '' });
  });

  it(`chatty user: the rc text ${RC_READ_BY_EXEC.has(shell) ? 'precedes' : 'does not reach (no rc file read for exec)'} the command's output`, async () => {
    expect(chatty.hosts[0]!.user).toMatch(new RegExp(`^tea-${shell}-[0-9a-f]{8}$`));
    expect(chatty.hosts[0]!.user).not.toBe(quiet.hosts[0]!.user);
    const want = RC_READ_BY_EXEC.has(shell) ? `${rcOutput}tea-out\n` : 'tea-out\n';
    expect(await execOnce(chatty, 'echo tea-out')).toEqual({ code: 0, stdout: want, stderr: '' });
  });
});

describe('accounts', () => {
  it('bash reads ~/.bashrc in an exec (Debian), so a chatty .bashrc shows', async () => {
    // Guards the premise of the chatty-bash host: if Debian ever stops this, the test says so.
    const fx = await startLocalHosts({ count: 1, loginShell: 'bash', rcOutput: 'hello from .bashrc\n' });
    try {
      const res = await execOnce(fx, 'echo "$0"; echo "$SHELL"');
      expect(res).toEqual({ code: 0, stdout: 'hello from .bashrc\nbash\n/bin/bash\n', stderr: '' });
    } finally {
      await fx.stop();
    }
  });

  it('are created once when several processes ask for the same new account at once', async () => {
    // A fresh account (random rc text) so the creation itself races; removed afterwards.
    const rcOutput = `race ${randomBytes(6).toString('hex')}\n`;
    const users = resolve(__dirname, '../../harness/users.js');
    const script = `const u = require(${JSON.stringify(users)}).ensureLoginUser({ loginShell: 'dash', rcOutput: ${JSON.stringify(rcOutput)} }); process.stdout.write(u.name + ':' + u.uid)`;
    const runs = await Promise.all(
      Array.from({ length: 6 }, () => new Promise<{ err: Error | null; out: string; stderr: string }>((done) => {
        execFile(process.execPath, ['-e', script], (err, out, stderr) => done({ err, out, stderr }));
      })),
    );
    const name = runs.find((r) => r.out)?.out.split(':')[0] ?? '';
    try {
      expect(runs.map((r) => [r.err, r.stderr])).toEqual(Array(6).fill([null, '']));
      expect(new Set(runs.map((r) => r.out)).size).toBe(1);
      expect(name).toMatch(/^tea-dash-[0-9a-f]{8}$/);
      expect(execFileSync('getent', ['passwd', name], { encoding: 'utf8' }).trim().split(':')[6]).toBe(SHELLS.dash);
      // Unlocked for key-only login without PAM.
      expect(execFileSync('getent', ['shadow', name], { encoding: 'utf8' }).split(':')[1]).toBe('*');
    } finally {
      if (name) execFileSync('flock', ['-w', '60', '/run/lock/tea-test-users.lock', 'userdel', '--remove', name], { stdio: 'ignore' });
    }
  });

  it('refuses an unknown shell with the list of known ones', async () => {
    await expect(startLocalHosts({ count: 1, loginShell: 'csh' as LoginShell })).rejects.toThrow(
      /loginShell must be one of sh, bash, dash, zsh, fish, tcsh, busybox-ash, nologin, false \(got "csh"\)/,
    );
  });
});
