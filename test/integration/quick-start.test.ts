/**
 * The README's quick start on a machine without OpenSSH's sshd: `npm run demo` brings its
 * own SSH hosts (embedded, on ssh2's Server), and `npm test` stops before building with the
 * one command that installs sshd. sshd is hidden by pointing TEA_SSHD nowhere.
 */
import { spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';

jest.setTimeout(120_000);

const root = path.resolve(__dirname, '..', '..');
const NO_SSHD = '/nonexistent/tea-test/sshd';

function run(file: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string; ms: number }> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr, ms: Date.now() - started }));
  });
}

describe('npm run demo without OpenSSH', () => {
  it('fans out over three embedded SSH hosts, one login each', async () => {
    const res = await run(process.execPath, ['scripts/demo.mjs'], { ...process.env, TEA_SSHD: NO_SSHD });
    expect(res.stderr).not.toMatch(/Error:/);
    expect(res.code).toBe(0);
    const started = res.stdout.match(/^demo: started 3 embedded SSH hosts \(.*\): (\S+), (\S+), (\S+)$/m);
    expect(started).not.toBeNull();
    const logins = started!.slice(1);
    // The final state is printed between the banner and the login count.
    const state = JSON.parse(res.stdout.slice(res.stdout.indexOf('\n{') + 1, res.stdout.lastIndexOf('\n}') + 2)) as {
      summary: Array<{ branch: string; ok: boolean; host: string }>;
      letters: number;
      shouted: string[];
      reversed: string[];
    };
    expect(state.summary.map((s) => [s.branch, s.ok])).toEqual([['count_letters', true], ['shout', true], ['reverse', true]]);
    // Every branch ran on one of the embedded hosts, all three of them used.
    expect(new Set(state.summary.map((s) => s.host))).toEqual(new Set(logins));
    expect([state.letters, state.shouted, state.reversed]).toEqual([9, ['SSH', 'FAN', 'OUT'], ['out', 'fan', 'ssh']]);
    expect(res.stdout).toMatch(/^demo: SSH logins per host during the run \(counted by the embedded hosts\): 1, 1, 1 /m);
  });
});

describe('npm test without OpenSSH', () => {
  it('stops before building, with the one command that installs sshd', async () => {
    const tea = path.join(root, 'dist', 'tea');
    const before = existsSync(tea) ? statSync(tea).mtimeMs : 0;
    // TEA_NO_INSTALL: as a user who cannot install (CI runs as root with apt-get).
    const res = await run('sh', ['scripts/test.sh'], { ...process.env, TEA_SSHD: NO_SSHD, TEA_NO_INSTALL: '1' });
    expect(res.code).toBe(1);
    expect(res.stderr).toContain(`OpenSSH's sshd is missing (${NO_SSHD}`);
    expect(res.stderr).toMatch(/^ {4}(sudo )?(apt-get install -y openssh-server|dnf install -y openssh-server|apk add openssh-server|pacman -S --noconfirm openssh)$/m);
    // Nothing was built or run: no build output, dist/tea untouched, and fast.
    expect(res.stdout).toBe('');
    expect(existsSync(tea) ? statSync(tea).mtimeMs : 0).toBe(before);
    expect(res.ms).toBeLessThan(20_000);
  });
});
