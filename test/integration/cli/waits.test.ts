/**
 * The CLI's own waits end on Ctrl-C/SIGTERM (docs/decisions.md, "Every wait and what
 * bounds it"): a FIFO given as --input or as the workflow that no writer opens, and a
 * stdout pipe that nobody reads. Before, each hung until SIGKILL: fs.readFile blocked a
 * libuv worker in open() (which even process.exit() waits for), and the exit waited for
 * stdout to drain. Each run here has a guard that SIGKILLs tea after GUARD_MS, so the old
 * behaviour fails the test instead of hanging it.
 */
import { execFileSync, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { installTea, writeIn } from './tea';

jest.setTimeout(60_000);
const { tea, dir } = installTea();
const GUARD_MS = 15_000;

const workflow = writeIn(
  dir,
  'wf.yaml',
  `
nodes:
  - name: a
    run: "return { x: 1, big: 'y'.repeat(Number(state.size ?? 0)) }"
edges:
  - { from: __start__, to: a }
  - { from: a, to: __end__ }
`,
);

let n = 0;
function fifo(): string {
  const file = path.join(dir, `fifo${(n += 1)}`);
  execFileSync('mkfifo', [file]);
  return file;
}

interface Ended {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  /** From the signal sent to the end. */
  ms: number;
}

/**
 * Runs tea, sends `signal` after `afterMs`, and resolves when it has exited (SIGKILL
 * after GUARD_MS). `readStdout: false` leaves stdout a pipe nobody reads.
 */
function interrupt(args: string[], signal: NodeJS.Signals, afterMs: number, readStdout = true): Promise<Ended> {
  return new Promise((resolve, reject) => {
    const child = spawn(tea, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let sentAt = 0;
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    if (readStdout) child.stdout.resume();
    const send = setTimeout(() => {
      sentAt = Date.now();
      child.kill(signal);
    }, afterMs);
    const guard = setTimeout(() => child.kill('SIGKILL'), afterMs + GUARD_MS);
    child.once('error', reject);
    child.once('exit', (code, sig) => {
      clearTimeout(send);
      clearTimeout(guard);
      child.stdout.destroy();
      resolve({ code, signal: sig, stderr, ms: Date.now() - sentAt });
    });
  });
}

describe('CLI waits end on Ctrl-C and SIGTERM', () => {
  it('--input FIFO that no writer opens: Ctrl-C exits 130', async () => {
    const end = await interrupt(['run', workflow, '--input', fifo()], 'SIGINT', 1500);
    expect(end).toMatchObject({ code: 130, signal: null });
    expect(end.stderr).toMatch(/^Error: .*interrupted by SIGINT/m);
    expect(end.ms).toBeLessThan(GUARD_MS);
  });

  it('a workflow FIFO that no writer opens: SIGTERM exits 143', async () => {
    const end = await interrupt(['run', fifo()], 'SIGTERM', 1500);
    expect(end).toMatchObject({ code: 143, signal: null });
    expect(end.ms).toBeLessThan(GUARD_MS);
  });

  it('a FIFO whose writer comes late is still read (--input and workflow)', () => {
    const input = fifo();
    const wf = fifo();
    // A writer that opens the FIFOs a second after tea started waiting (tea reads the workflow first).
    const writer = spawn('sh', ['-c', `sleep 1; cat "$1" > "$2"; printf '{"q":2}' > "$0"`, input, workflow, wf], { stdio: 'ignore' });
    try {
      const out = execFileSync(tea, ['run', wf, '--input', input], { cwd: dir, encoding: 'utf8', timeout: GUARD_MS });
      expect(JSON.parse(out)).toEqual({ q: 2, x: 1, big: '' });
    } finally {
      writer.kill('SIGKILL');
    }
  });

  it('a stdout pipe nobody reads (a final state larger than the pipe buffer): SIGTERM exits 143', async () => {
    const input = path.join(dir, 'big-input.json');
    writeFileSync(input, JSON.stringify({ size: 4 * 1024 * 1024 }));
    // The run takes well under the 4 s; then tea waits on the full pipe until the signal.
    const end = await interrupt(['run', workflow, '--input', input], 'SIGTERM', 4000, false);
    expect(end).toMatchObject({ code: 143, signal: null });
    expect(end.ms).toBeLessThan(GUARD_MS);
  });
});
