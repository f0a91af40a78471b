import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync, chmodSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportFileText } from '../../../../src/remote/command/env-vars';
import { buildRunCommand, printableRunCommand, runArgv } from '../../../../src/remote/command/remote-command';

const spec = (over: Partial<Parameters<typeof buildRunCommand>[0]> = {}) => ({
  tea: '/w/.cache/tea-abc',
  workflow: '/w/run-1/workflow.yaml',
  flowDir: '/w/run-1/1-0-a1',
  entryPoint: 'branch_a',
  exitPoint: 'join',
  killGraceSeconds: 5,
  ...over,
});

/**
 * Runs like an SSH exec channel: stdin stays open until `closeStdinAfterMs` (or the exit).
 * `leader`: started as a session and group leader, as OpenSSH's sshd starts a session's
 * command (detached = setsid); otherwise in this process's group, the wrapper's fallback.
 */
function runLikeChannel(command: string, leader: boolean, closeStdinAfterMs?: number): Promise<{ code: number | null; signal: string | null; pid: number }> {
  return new Promise((resolve) => {
    const child = spawn('sh', ['-c', command], { stdio: ['pipe', 'ignore', 'ignore'], detached: leader });
    if (closeStdinAfterMs !== undefined) setTimeout(() => child.stdin.end(), closeStdinAfterMs);
    child.on('exit', (code, signal) => {
      child.stdin.destroy();
      resolve({ code, signal, pid: child.pid! });
    });
  });
}

/** The command's status as sshd would report it: an exit code, or the signal that ended it. */
const status = (r: { code: number | null; signal: string | null }) => r.code ?? r.signal;

/** Dead, or a zombie waiting for init to reap it (containers' init may be slow to). */
function isGone(pid: number): boolean {
  try {
    return /^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return true;
  }
}

describe('remote command', () => {
  it('is the scoped tea run contract, in order', () => {
    expect(runArgv(spec())).toEqual([
      '/w/.cache/tea-abc', 'run', '/w/run-1/workflow.yaml',
      '--entry-point=branch_a', '--exit-point=join',
      '--input=/w/run-1/1-0-a1/input.json', '--output=/w/run-1/1-0-a1/result.json',
    ]);
    expect(printableRunCommand(spec())).toBe(
      '/w/.cache/tea-abc run /w/run-1/workflow.yaml --entry-point=branch_a --exit-point=join --input=/w/run-1/1-0-a1/input.json --output=/w/run-1/1-0-a1/result.json',
    );
  });

  it('joins cd and the run with && so nothing runs when the directory is missing', () => {
    expect(buildRunCommand(spec())).toMatch(/^cd \/w\/run-1\/1-0-a1 && exec sh -c '/);
  });
});

describe.each([
  ['as a process group leader (how sshd starts it)', true],
  ['not as a group leader (the setsid fallback)', false],
])('the remote command run %s', (_name, leader) => {

  it('passes hostile names to the program verbatim through a real shell', async () => {
    // A stand-in "tea" that records its argv, run through the exact command line.
    const dir = mkdtempSync(join(tmpdir(), 'tea cmd $(x) '));
    const tea = join(dir, "fake 'tea'");
    writeFileSync(tea, `#!/bin/sh\nfor a in "$@"; do printf '%s\\0' "$a"; done > ./argv\n`);
    chmodSync(tea, 0o755);
    const hostile = 'b; touch /tmp/pwned `id` $(id)\n"x"';
    const command = buildRunCommand(spec({ tea, flowDir: dir, entryPoint: hostile, exitPoint: "it's" }));
    expect(status(await runLikeChannel(command, leader))).toBe(0);
    const argv = readFileSync(join(dir, 'argv'), 'utf8').split('\0').slice(0, -1);
    expect(argv).toEqual(runArgv(spec({ tea, flowDir: dir, entryPoint: hostile, exitPoint: "it's" })).slice(1));
  });

  it('sets TEA_REMOTE_BRANCH, exits with the command status, and ends the command when the channel (stdin) closes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tea-cmd-'));
    const tea = join(dir, 'tea');
    writeFileSync(tea, '#!/bin/sh\n[ "$TEA_REMOTE_BRANCH" = 1 ] || exit 9\nexit 7\n');
    chmodSync(tea, 0o755);
    expect(status(await runLikeChannel(buildRunCommand(spec({ tea, flowDir: dir })), leader))).toBe(7);

    // A child that ignores TERM: the watchdog must KILL it after the grace period.
    writeFileSync(tea, `#!/bin/sh\ntrap '' TERM\nsleep 30 &\necho $! > '${dir}/child'\nwait\n`);
    const started = Date.now();
    const ended = await runLikeChannel(buildRunCommand(spec({ tea, flowDir: dir, killGraceSeconds: 1 })), leader, 300);
    // The leader is tea itself (exec), killed; the fallback shell reports its child's 128 + 9.
    expect(status(ended)).toBe(leader ? 'SIGKILL' : 137);
    expect(Date.now() - started).toBeLessThan(5_000);
    const child = Number(readFileSync(join(dir, 'child'), 'utf8'));
    // The grandchild got the same KILL; under load it may take a moment to be scheduled and die.
    const deadline = Date.now() + 5000;
    while (!isGone(child) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(isGone(child)).toBe(true);
  });

  it('sources the env file with every value intact, deletes it first, and keeps values off the command line', async () => {
    const dir = mkdtempSync(join(tmpdir(), "tea env $(x) '"));
    const tea = join(dir, 'tea');
    // The stand-in records what it sees: its environment values and whether the file is still there.
    writeFileSync(tea, `#!/bin/sh\nprintf '%s\\0' "$TEA_A" "$TEA_B" "\${g-unset}" > ./seen\n[ -e '${join(dir, 'tea-env').replace(/'/g, `'\\''`)}' ] && echo left >> ./seen\nexit 0\n`);
    chmodSync(tea, 0o755);
    const values = { TEA_A: "it's $(touch /tmp/pwned) `id`;\nline 2 \\ \"q\"", TEA_B: '' };
    const envFile = join(dir, 'tea-env');
    writeFileSync(envFile, exportFileText(values), { mode: 0o600 });
    const command = buildRunCommand(spec({ tea, flowDir: dir, envFile }));
    expect(command).not.toContain('touch');
    expect(command).not.toContain('line 2');
    expect(status(await runLikeChannel(command, leader))).toBe(0);
    const seen = readFileSync(join(dir, 'seen'), 'utf8');
    // No "left": the file was gone before the run; "unset": the wrapper's own variables are not exported.
    expect(seen).toBe(`${values.TEA_A}\0\0unset\0`);
    expect(existsSync(envFile)).toBe(false);
  });

  it('fails with 125 and removes the file when the env file cannot be sourced', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tea-env-bad-'));
    const tea = join(dir, 'tea');
    writeFileSync(tea, '#!/bin/sh\nexit 0\n');
    chmodSync(tea, 0o755);
    const envFile = join(dir, 'tea-env');
    writeFileSync(envFile, "A='unterminated\n");
    expect(status(await runLikeChannel(buildRunCommand(spec({ tea, flowDir: dir, envFile })), leader))).toBe(125);
    expect(existsSync(envFile)).toBe(false);
  });

  it('leaves no process of the session behind once the command ended', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tea-cmd-'));
    const tea = join(dir, 'tea');
    writeFileSync(tea, `#!/bin/sh\nsleep 30 &\necho $! > '${dir}/child'\nexit 0\n`);
    chmodSync(tea, 0o755);
    expect(status(await runLikeChannel(buildRunCommand(spec({ tea, flowDir: dir })), leader))).toBe(0);
    const child = Number(readFileSync(join(dir, 'child'), 'utf8'));
    const deadline = Date.now() + 5000;
    while (!isGone(child) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(isGone(child)).toBe(true);
  });
});
