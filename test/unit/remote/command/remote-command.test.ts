import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BOOTSTRAP_COMMAND, NEUTRAL_LINE } from '../../../../src/remote/command/bootstrap';
import { buildFlowRequest, INLINE_INPUT_MAX, printableRunCommand, runArgv, type FlowRequestSpec } from '../../../../src/remote/command/remote-command';
import { ResultFrameReader, type ResultFrame } from '../../../../src/remote/command/result-frame';

// Real shells and processes: a reap waits a second between TERM and KILL, and CI runs these
// beside the integration suites (jest's 5 s default failed under load).
jest.setTimeout(30_000);

const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;

/** A PATH holding only busybox applets: the wrapper's tools as a BusyBox host has them. */
function busyboxPath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tea-bb-'));
  for (const applet of ['sh', 'dd', 'head', 'stat', 'wc', 'mkdir', 'rm', 'setsid', 'sleep', 'cat', 'printf', 'env', 'kill']) {
    symlinkSync('/bin/busybox', join(dir, applet));
  }
  return dir;
}

const spec = (over: Partial<FlowRequestSpec> = {}): FlowRequestSpec => ({
  tea: '/w/.cache/tea-abc',
  workflow: '/w/run-1/workflow.yaml',
  flowDir: '/w/run-1/1-0-a1',
  entryPoint: 'branch_a',
  exitPoint: 'join',
  killGraceSeconds: 5,
  input: Buffer.from('{"a":1}'),
  maxResultBytes: 1 << 20,
  cleanup: false,
  ...over,
});

interface Ran {
  code: number | null;
  signal: string | null;
  pid: number;
  frame: ResultFrame;
  stdout: string;
}

/**
 * Runs like an SSH exec channel: `login` parses the command line (as sshd runs `$SHELL -c`),
 * the request's stdin is written and stays open until `closeStdinAfterMs` (or the exit).
 * `leader`: started as a session and group leader, as OpenSSH's sshd starts a session's
 * command (detached = setsid); otherwise in this process's group, the wrapper's fallback.
 * `inner`: replaces /bin/sh in the bootstrap (busybox ash with busybox tools on PATH).
 */
function runLikeChannel(
  request: ReturnType<typeof buildFlowRequest>,
  { leader = true, closeStdinAfterMs, login = 'sh', inner, rcNoise = '', cwd, path }: { leader?: boolean; closeStdinAfterMs?: number; login?: string; inner?: 'busybox'; rcNoise?: string; cwd?: string; path?: string } = {},
): Promise<Ran> {
  let command = request.command;
  const env: NodeJS.ProcessEnv = { ...process.env, ...(path === undefined ? {} : { PATH: path }) };
  if (inner === 'busybox') {
    command = command.replace('/bin/sh', '/bin/busybox ash');
    env.PATH = `${busyboxPath()}:${process.env.PATH}`;
  }
  if (rcNoise !== '') command = `echo ${rcNoise}; ${command}`;
  return new Promise((resolve) => {
    const [shell, ...flags] = login.split(' ');
    const child = spawn(shell!, [...flags, '-c', command], { stdio: ['pipe', 'pipe', 'inherit'], detached: leader, env, ...(cwd === undefined ? {} : { cwd }) });
    const reader = new ResultFrameReader(request.nonce, 1 << 20);
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('latin1');
      reader.push(chunk);
    });
    child.stdin.write(request.stdin);
    if (closeStdinAfterMs !== undefined) setTimeout(() => child.stdin.end(), closeStdinAfterMs);
    child.on('close', (code, signal) => {
      child.stdin.destroy();
      resolve({ code, signal, pid: child.pid!, frame: reader.finish(), stdout });
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

/** A stand-in tea: `body` is sh; the flow directory is its working directory's sibling-free parent. */
function fakeTea(dir: string, body: string): string {
  const tea = join(dir, "fake 'tea'");
  writeFileSync(tea, `#!/bin/sh\n${body}\n`);
  chmodSync(tea, 0o755);
  return tea;
}

/** Writes its input to result.json (an echo), recording its argv beside the flow directory. */
const ECHO_TEA = `for a in "$@"; do printf '%s\\0' "$a"; done > "$(dirname "$0")/argv"
i=; o=; for a in "$@"; do case $a in --input=*) i=\${a#--input=};; --output=*) o=\${a#--output=};; esac; done
cat "$i" > "$o"`;

describe('the bootstrap command line', () => {
  it('holds only characters every login shell reads the same inside single quotes', () => {
    expect(BOOTSTRAP_COMMAND).toMatch(NEUTRAL_LINE);
    // Inside the quotes: no backslash (fish), no `!` (csh history), no newline, no quote.
    expect(BOOTSTRAP_COMMAND.slice(BOOTSTRAP_COMMAND.indexOf("'") + 1, -1)).not.toMatch(/[\\!\n']/);
  });

  it('is the same for every branch: nothing from the workflow is on it', () => {
    const request = buildFlowRequest(spec({ entryPoint: "a'b", flowDir: "/w/x'y" }));
    expect(request.command).toBe(BOOTSTRAP_COMMAND);
    expect(printableRunCommand(spec())).toBe(
      '/w/.cache/tea-abc run /w/run-1/workflow.yaml --entry-point=branch_a --exit-point=join --input=/w/run-1/1-0-a1/input.json --output=/w/run-1/1-0-a1/result.json',
    );
  });
});

const LOGIN_SHELLS = ['sh', 'dash', 'bash', 'zsh', 'fish', 'tcsh', 'csh', 'busybox ash'].filter((s) => has(s.split(' ')[0]!));

describe.each(LOGIN_SHELLS)('under the login shell %s', (login) => {
  it('passes hostile names and paths to tea verbatim, runs nothing of theirs, and returns the result', async () => {
    const base = mkdtempSync(join(tmpdir(), 'tea cmd $(x) \\\' '));
    // Relative: the shells run in `base`, so an injected `touch` would create it there.
    const marker = join(base, 'marker');
    const flowDir = join(base, `flow \\' x'y $(touch marker) \n!!`);
    const tea = fakeTea(base, ECHO_TEA);
    const hostile = [`a\\b`, `x'y`, `$(touch marker)`, 'new\nline', '`touch marker`', '!1', '%s %n'];
    for (const [entryPoint, exitPoint] of [[hostile[0]!, hostile[1]!], [hostile[2]!, hostile[3]!], [hostile[4]!, hostile[5]! + hostile[6]!]]) {
      const input = Buffer.from(JSON.stringify({ entryPoint, big: 'x'.repeat(200_000) }));
      const request = buildFlowRequest(spec({ tea, flowDir, entryPoint: entryPoint!, exitPoint: exitPoint!, input }));
      const ran = await runLikeChannel(request, { login, cwd: base });
      expect(status(ran)).toBe(0);
      const argv = readFileSync(join(base, 'argv'), 'utf8').split('\0').slice(0, -1);
      expect(argv).toEqual(runArgv(spec({ tea, flowDir, entryPoint: entryPoint!, exitPoint: exitPoint! })).slice(1));
      // Compared as one buffer: jest's deep equality walks 200 KB byte by byte.
      expect(ran.frame.kind === 'ok' && ran.frame.data.equals(input)).toBe(true);
      expect(existsSync(marker)).toBe(false);
      // cleanup false: the wrapper created the flow directory, 0700.
      expect(readdirSync(flowDir).sort()).toEqual(['input.json', 'result.json']);
      spawnSync('rm', ['-rf', flowDir]);
    }
  });
});

describe.each([
  ['as a process group leader (how sshd starts it)', true, undefined],
  ['not as a group leader (the setsid fallback)', false, undefined],
  ['under busybox ash with busybox tools', true, 'busybox' as const],
])('the remote wrapper run %s', (_name, leader, inner) => {
  const run = (request: ReturnType<typeof buildFlowRequest>, closeStdinAfterMs?: number, rcNoise = '') =>
    runLikeChannel(request, { leader, ...(closeStdinAfterMs === undefined ? {} : { closeStdinAfterMs }), ...(inner === undefined ? {} : { inner }), rcNoise });

  it('takes exactly the input from stdin, exports the variables without writing them anywhere, removes the directory', async () => {
    const base = mkdtempSync(join(tmpdir(), 'tea-cmd-'));
    const flowDir = join(base, 'f');
    const secret = `it's $(touch ${base}/pwned) \`id\`;\nline 2 \\ "q" s3cret-${Date.now()}`;
    const tea = fakeTea(base, `${ECHO_TEA}\nprintf '%s\\0' "$TEA_A" "$TEA_B" "\${g-unset}" "$TEA_REMOTE_BRANCH" > "$(dirname "$0")/seen"\nls -A "$(dirname "$o")" > "$(dirname "$0")/files"\ngrep -rl s3cret- "$(dirname "$o")" >> "$(dirname "$0")/files"; true`);
    const input = Buffer.from(JSON.stringify({ s: 'é\n' }));
    const request = buildFlowRequest(spec({ tea, flowDir, input, cleanup: true, exports: { TEA_A: secret, TEA_B: '' } }));
    expect(request.command).not.toContain('s3cret');
    const ran = await run(request, undefined, 'welcome from bashrc @@tea-result-');
    expect(status(ran)).toBe(0);
    expect(ran.frame).toEqual({ kind: 'ok', data: input });
    // "unset": the wrapper's own variables are not exported.
    expect(readFileSync(join(base, 'seen'), 'utf8')).toBe(`${secret}\0\0unset\x001\0`);
    // Only the input and (by then) the result in the flow directory, and no file holds the value.
    expect(readFileSync(join(base, 'files'), 'utf8')).toBe('input.json\nresult.json\n');
    expect(existsSync(flowDir)).toBe(false);
    expect(existsSync(join(base, 'pwned'))).toBe(false);
  });

  it('refuses a result.json that is a symlink, a FIFO or too large, before reading it', async () => {
    const base = mkdtempSync(join(tmpdir(), 'tea-res-'));
    const cases: Array<[string, ResultFrame['kind']]> = [
      ['ln -s /dev/zero "$o"', 'invalid'],
      ['mkfifo "$o"', 'invalid'],
      ['mkdir "$o"', 'invalid'],
      ['dd if=/dev/zero of="$o" bs=1024 count=2048 2>/dev/null', 'too-large'],
      [':', 'missing'],
      ['printf "{}" > "$o"', 'ok'],
    ];
    for (const [make, kind] of cases) {
      const flowDir = join(base, `f${cases.findIndex((c) => c[0] === make)}`);
      const tea = fakeTea(base, `o=; for a in "$@"; do case $a in --output=*) o=\${a#--output=};; esac; done\n${make}`);
      const ran = await run(buildFlowRequest(spec({ tea, flowDir })));
      expect([make, status(ran), ran.frame.kind]).toEqual([make, 0, kind]);
    }
  });

  it('exits with the command status, and ends the command when the channel (stdin) closes', async () => {
    const base = mkdtempSync(join(tmpdir(), 'tea-cmd-'));
    let tea = fakeTea(base, '[ "$TEA_REMOTE_BRANCH" = 1 ] || exit 9\nexit 7');
    const failed = await run(buildFlowRequest(spec({ tea, flowDir: join(base, 'a') })));
    expect(status(failed)).toBe(7);
    expect(failed.frame.kind).toBe('broken');

    // A child that ignores TERM: the watchdog must KILL it after the grace period.
    tea = fakeTea(base, `trap '' TERM\nsleep 30 &\necho $! > '${base}/child'\nwait`);
    const started = Date.now();
    const ended = await run(buildFlowRequest(spec({ tea, flowDir: join(base, 'b'), killGraceSeconds: 1 })), 500);
    expect([128 + 9, 128 + 15, 'SIGKILL']).toContain(status(ended));
    expect(Date.now() - started).toBeLessThan(10_000);
    const child = Number(readFileSync(join(base, 'child'), 'utf8'));
    // The grandchild got the same KILL; under load it may take a moment to be scheduled and die.
    const deadline = Date.now() + 5000;
    while (!isGone(child) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(isGone(child)).toBe(true);
  });

  it('fails with 125 when a large input (after the program line) does not arrive whole, running nothing', async () => {
    const base = mkdtempSync(join(tmpdir(), 'tea-cmd-'));
    const tea = fakeTea(base, `touch '${base}/ran'`);
    const input = Buffer.from(JSON.stringify({ a: 'x'.repeat(INLINE_INPUT_MAX * 2) }));
    const request = buildFlowRequest(spec({ tea, flowDir: join(base, 'f'), input }));
    // Cut the input short, then end stdin.
    const short = { ...request, stdin: request.stdin.subarray(0, request.stdin.length - 3) };
    expect(status(await run(short, 300))).toBe(125);
    expect(existsSync(join(base, 'ran'))).toBe(false);
  });

  it('runs nothing when the program line (holding a small input) is cut short', async () => {
    const base = mkdtempSync(join(tmpdir(), 'tea-cmd-'));
    const tea = fakeTea(base, `touch '${base}/ran'`);
    const request = buildFlowRequest(spec({ tea, flowDir: join(base, 'f'), input: Buffer.from('{"a":1}') }));
    const short = { ...request, stdin: request.stdin.subarray(0, request.stdin.length - 3) };
    expect(status(await run(short, 300))).not.toBe(0);
    expect(existsSync(join(base, 'ran'))).toBe(false);
    expect(existsSync(join(base, 'f'))).toBe(false);
  });

  it('leaves no process of the session behind once the channel closed', async () => {
    const base = mkdtempSync(join(tmpdir(), 'tea-cmd-'));
    const tea = fakeTea(base, `sleep 30 &\necho $! > '${base}/child'\nprintf '{}' > "$(dirname "$0")/f/result.json"\nexit 0`);
    // stdin stays open until the wrapper has exited, as the client keeps the channel.
    const ran = await run(buildFlowRequest(spec({ tea, flowDir: join(base, 'f') })));
    expect(status(ran)).toBe(0);
    const child = Number(readFileSync(join(base, 'child'), 'utf8'));
    const deadline = Date.now() + 8000;
    while (!isGone(child) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(isGone(child)).toBe(true);
  });
});

/** A PATH of shims that log each external command the wrapper runs, then run the real one. */
function loggingPath(log: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'tea-shims-'));
  for (const tool of ['dd', 'head', 'stat', 'wc', 'mkdir', 'rm', 'setsid', 'sleep', 'cat', 'grep', 'env', 'kill', 'printf']) {
    const real = spawnSync('sh', ['-c', `command -v ${tool}`]).stdout.toString().trim();
    if (!real.startsWith('/')) continue;
    writeFileSync(join(dir, tool), `#!/bin/sh\necho ${tool} "$*" >> '${log}'\nexec ${real} "$@"\n`);
    chmodSync(join(dir, tool), 0o755);
  }
  return `${dir}:${process.env.PATH}`;
}

describe('the wrapper forks only where no builtin can do the work (host CPU per branch)', () => {
  const toolsRun = async (body: string, input = Buffer.from('{"a":1}')): Promise<{ tools: string[]; greps: string[]; ran: Ran; base: string }> => {
    const base = mkdtempSync(join(tmpdir(), 'tea-forks-'));
    const log = join(base, 'log');
    writeFileSync(log, '');
    const tea = fakeTea(base, `o=; for a in "$@"; do case $a in --output=*) o=\${a#--output=};; esac; done\n${body}\nprintf '{"ok":1}' > "$o"`);
    const ran = await runLikeChannel(buildFlowRequest(spec({ tea, flowDir: join(base, 'f'), input, cleanup: true })), { path: loggingPath(log) });
    const lines = readFileSync(log, 'utf8').split('\n').filter(Boolean);
    return { tools: lines.map((l) => l.split(' ')[0]!), greps: lines.filter((l) => l.startsWith('grep ')), ran, base };
  };

  it('a small input and a branch that leaves nothing: mkdir, head and rm, no dd, wc, stat or /proc scan (grep)', async () => {
    // The search is skipped only when no pid allocated while the branch ran is still alive; on a
    // busy machine another process may be born in that window (then only those few are searched),
    // so one clean run in up to 20 suffices.
    const all = readdirSync('/proc').filter((e) => /^\d+$/.test(e)).length;
    let clean = false;
    for (let i = 0; i < 20 && !clean; i += 1) {
      const { tools, ran, greps } = await toolsRun(':');
      expect(status(ran)).toBe(0);
      expect(ran.frame).toEqual({ kind: 'ok', data: Buffer.from('{"ok":1}') });
      expect(tools.filter((t) => t !== 'grep')).toEqual(['mkdir', 'head', 'rm']);
      // When it searches, it reads the window's live pids only, never every process.
      for (const args of greps) expect(args.split(' ').filter((a) => a.startsWith('/proc/')).length).toBeLessThan(all);
      clean = !tools.includes('grep');
    }
    expect(clean).toBe(true);
  });

  it('a large input: one dd (its own count, no wc on GNU dd)', async () => {
    const input = Buffer.from(JSON.stringify({ a: 'x'.repeat(INLINE_INPUT_MAX * 4) }));
    const { tools, ran } = await toolsRun(':', input);
    expect(status(ran)).toBe(0);
    expect(tools.filter((t) => t !== 'grep')).toEqual(['mkdir', 'dd', 'head', 'rm']);
  });

  it('a branch that leaves an escaped process: the scan runs and ends it', async () => {
    // The branch ends once its escaped process runs `sleep`: read mid-exec (here 4 execs through
    // the shims), a process's environ is empty and one scan may miss it (reaper.ts, limits).
    const { tools, ran, base } = await toolsRun(
      'setsid sleep 1001 </dev/null >/dev/null 2>&1 & e=$!; i=0; c=; while [ "$c" != sleep ] && [ $i -lt 200000 ]; do read -r c </proc/$e/comm || c=; i=$((i+1)); done',
    );
    expect(status(ran)).toBe(0);
    expect(tools).toContain('grep');
    // Ended by the wrapper before it exited; a moment for the kernel to finish the KILL under load.
    const marked = () => spawnSync('sh', ['-c', `grep -l -s -F -e 'TEA_FLOW_MARK=${join(base, 'f')}/' /proc/[0-9]*/environ`]).stdout.toString().trim();
    const deadline = Date.now() + 5000;
    while (marked() !== '' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(marked()).toBe('');
  });
});

describe('the result frame reader', () => {
  const frame = (nonce: string, body: string) => `\n@@tea-result-${nonce} stream\n${body}\n@@tea-end-${nonce}\n`;

  it('skips rc-file noise and a forged frame with another nonce, byte by byte or whole', () => {
    // Only the wrapper knows its nonce: a body can hold another frame's markers, never this one's.
    const body = '{"a":"\n@@tea-end-other\n\n@@tea-result-n1 stream\n"}';
    const text = `Welcome!\n${frame('other', '{"forged":1}')}${frame('n1', body)}trailing`;
    for (const step of [1, 7, text.length]) {
      const reader = new ResultFrameReader('n1', 1000);
      for (let i = 0; i < text.length; i += step) reader.push(Buffer.from(text.slice(i, i + step)));
      expect(reader.finish()).toEqual({ kind: 'ok', data: Buffer.from(body) });
    }
  });

  it('refuses a body over the bound without buffering more of it, and reports a cut-short frame', () => {
    const big = new ResultFrameReader('n', 10);
    big.push(Buffer.from('\n@@tea-result-n stream\n01234567890'));
    big.push(Buffer.from('x'.repeat(100)));
    expect(big.finish()).toEqual({ kind: 'too-large' });
    // The bound + 1 bytes (what the host sends of a larger file), then the end marker.
    const over = new ResultFrameReader('n', 10);
    over.push(Buffer.from('\n@@tea-result-n stream\n01234567890\n@@tea-end-n\n'));
    expect(over.finish()).toEqual({ kind: 'too-large' });
    const exact = new ResultFrameReader('n', 10);
    exact.push(Buffer.from('\n@@tea-result-n stream\n0123456789\n@@tea-end-n\n'));
    expect(exact.finish()).toEqual({ kind: 'ok', data: Buffer.from('0123456789') });
    const cut = new ResultFrameReader('n', 100);
    cut.push(Buffer.from('\n@@tea-result-n stream\n0123'));
    expect(cut.finish()).toEqual({ kind: 'broken', reason: 'result cut short (4 bytes, no end marker)' });
    const none = new ResultFrameReader('n', 100);
    none.push(Buffer.from('x'.repeat(100_000)));
    expect(none.finish()).toEqual({ kind: 'broken', reason: 'no result on the channel' });
  });
});
