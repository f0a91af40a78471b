import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync, chmodSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportFileText } from '../../../src/remote/env-vars';
import { buildRunCommand, printableRunCommand, runArgv } from '../../../src/remote/remote-command';

const spec = (over: Partial<Parameters<typeof buildRunCommand>[0]> = {}) => ({
  tea: '/w/.cache/tea-abc',
  workflow: '/w/run-1/workflow.yaml',
  flowDir: '/w/run-1/1-0-a1',
  entryPoint: 'branch_a',
  exitPoint: 'join',
  killGraceSeconds: 5,
  ...over,
});

/** Runs like an SSH exec channel: stdin stays open until `closeStdinAfterMs` (or the exit). */
function runLikeChannel(command: string, closeStdinAfterMs?: number): Promise<number | null> {
  return new Promise((resolve) => {
    const child = spawn('sh', ['-c', command], { stdio: ['pipe', 'ignore', 'ignore'] });
    if (closeStdinAfterMs !== undefined) setTimeout(() => child.stdin.end(), closeStdinAfterMs);
    child.on('exit', (code) => {
      child.stdin.destroy();
      resolve(code);
    });
  });
}

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
    expect(buildRunCommand(spec())).toMatch(/^cd \/w\/run-1\/1-0-a1 && exec env TEA_REMOTE_BRANCH=1 sh -c /);
  });

  it('passes hostile names to the program verbatim through a real shell', async () => {
    // A stand-in "tea" that records its argv, run through the exact command line.
    const dir = mkdtempSync(join(tmpdir(), 'tea cmd $(x) '));
    const tea = join(dir, "fake 'tea'");
    writeFileSync(tea, `#!/bin/sh\nfor a in "$@"; do printf '%s\\0' "$a"; done > ./argv\n`);
    chmodSync(tea, 0o755);
    const hostile = 'b; touch /tmp/pwned `id` $(id)\n"x"';
    const command = buildRunCommand(spec({ tea, flowDir: dir, entryPoint: hostile, exitPoint: "it's" }));
    expect(await runLikeChannel(command)).toBe(0);
    const argv = readFileSync(join(dir, 'argv'), 'utf8').split('\0').slice(0, -1);
    expect(argv).toEqual(runArgv(spec({ tea, flowDir: dir, entryPoint: hostile, exitPoint: "it's" })).slice(1));
  });

  it('exits with the command status, and ends the command when the channel (stdin) closes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tea-cmd-'));
    const tea = join(dir, 'tea');
    writeFileSync(tea, '#!/bin/sh\nexit 7\n');
    chmodSync(tea, 0o755);
    expect(await runLikeChannel(buildRunCommand(spec({ tea, flowDir: dir })))).toBe(7);

    // A child that ignores TERM: the watchdog must KILL it after the grace period.
    writeFileSync(tea, `#!/bin/sh\ntrap '' TERM\nsleep 30 &\necho $! > '${dir}/child'\nwait\n`);
    const started = Date.now();
    const status = await runLikeChannel(buildRunCommand(spec({ tea, flowDir: dir, killGraceSeconds: 1 })), 300);
    expect(status).toBe(137);
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
    writeFileSync(tea, `#!/bin/sh\nprintf '%s\\0' "$TEA_A" "$TEA_B" "\${TEA_ENV_FILE-unset}" > ./seen\n[ -e '${join(dir, 'tea-env').replace(/'/g, `'\\''`)}' ] && echo left >> ./seen\nexit 0\n`);
    chmodSync(tea, 0o755);
    const values = { TEA_A: "it's $(touch /tmp/pwned) `id`;\nline 2 \\ \"q\"", TEA_B: '' };
    const envFile = join(dir, 'tea-env');
    writeFileSync(envFile, exportFileText(values), { mode: 0o600 });
    const command = buildRunCommand(spec({ tea, flowDir: dir, envFile }));
    expect(command).not.toContain('touch');
    expect(command).not.toContain('line 2');
    expect(await runLikeChannel(command)).toBe(0);
    const seen = readFileSync(join(dir, 'seen'), 'utf8');
    expect(seen).toBe(`${values.TEA_A}\0\0unset\0`); // no "left": the file was gone before the run
    expect(existsSync(envFile)).toBe(false);
  });

  it('fails with 125 and removes the file when the env file cannot be sourced', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tea-env-bad-'));
    const tea = join(dir, 'tea');
    writeFileSync(tea, '#!/bin/sh\nexit 0\n');
    chmodSync(tea, 0o755);
    const envFile = join(dir, 'tea-env');
    writeFileSync(envFile, "A='unterminated\n");
    const status = await runLikeChannel(buildRunCommand(spec({ tea, flowDir: dir, envFile })));
    expect(status).toBe(125);
    expect(existsSync(envFile)).toBe(false);
  });
});
