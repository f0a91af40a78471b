/**
 * Config paths that are FIFOs: tea reads keys, known_hosts and ssh_config synchronously,
 * so a FIFO there used to block the whole process (no timer, no Ctrl-C) until some writer
 * appeared. Each test starts a writer that opens the FIFO after WRITER_DELAY_MS: the old
 * code waited for it (and then read nothing); now the path is refused at once.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseParallelConfig } from '../../../src/config/parallel';
import { TeaError } from '../../../src/errors';
import { silentLogger } from '../../../src/log';
import { HostKeyPolicy } from '../../../src/remote/trust/host-key-policy';
import { resolveHosts } from '../../../src/remote/trust/hosts';
import { readRegularFileSync } from '../../../src/util/regular-file';

const WRITER_DELAY_MS = 3000;
const dir = mkdtempSync(join(tmpdir(), 'tea-fifo-'));
const writers: ChildProcess[] = [];
let n = 0;
afterAll(() => {
  for (const w of writers) w.kill('SIGKILL'); // blocked in open() for a reader that never came
  rmSync(dir, { recursive: true, force: true });
});

/** A FIFO, and a writer that opens (and closes) it after WRITER_DELAY_MS. */
function fifo(): string {
  const path = join(dir, `fifo${(n += 1)}`);
  execFileSync('mkfifo', [path]);
  writers.push(spawn('sh', ['-c', `sleep ${WRITER_DELAY_MS / 1000}; : > "$0"`, path], { stdio: 'ignore' }));
  return path;
}

/** Runs `fn` and returns what it threw, and how long it took. */
function attempt(fn: () => unknown): { error: unknown; ms: number } {
  const started = Date.now();
  try {
    fn();
    return { error: null, ms: Date.now() - started };
  } catch (error) {
    return { error, ms: Date.now() - started };
  }
}

const remote = (raw: Record<string, unknown>) => parseParallelConfig({ strategy: 'remote', remote: raw }).remote!;

describe('FIFOs at paths tea reads synchronously are refused at once', () => {
  it('readRegularFileSync: ENOTREG for a FIFO, the content of a regular file', () => {
    const { error, ms } = attempt(() => readRegularFileSync(fifo()));
    expect((error as NodeJS.ErrnoException).code).toBe('ENOTREG');
    expect(ms).toBeLessThan(WRITER_DELAY_MS / 2);
    const file = join(dir, 'plain');
    writeFileSync(file, 'text');
    expect(readRegularFileSync(file, 'utf8')).toBe('text');
    expect(attempt(() => readRegularFileSync(join(dir, 'missing'))).error).toMatchObject({ code: 'ENOENT' });
  });

  it('identity_file', () => {
    const path = fifo();
    const { error, ms } = attempt(() => resolveHosts(remote({ hosts: ['h1'], ssh_config: false, identity_file: path }), { env: {} }));
    expect(ms).toBeLessThan(WRITER_DELAY_MS / 2);
    expect(error).toBeInstanceOf(TeaError);
    expect((error as TeaError).code).toBe('E_CONFIG_INVALID');
    expect((error as TeaError).message).toContain(`cannot read identity file ${path}: not a regular file (a FIFO, socket or device)`);
  });

  it('ssh_config', () => {
    const path = fifo();
    const { error, ms } = attempt(() => resolveHosts(remote({ hosts: ['h1'], ssh_config: path }), { env: {} }));
    expect(ms).toBeLessThan(WRITER_DELAY_MS / 2);
    expect((error as TeaError).code).toBe('E_CONFIG_INVALID');
    expect((error as TeaError).message).toContain(`cannot read ssh_config ${path}: not a regular file`);
  });

  it('known_hosts', () => {
    const path = fifo();
    const policy = new HostKeyPolicy(path, 'yes', silentLogger);
    const { error, ms } = attempt(() => policy.verify('h1', '127.0.0.1', 22, Buffer.from('key')));
    expect(ms).toBeLessThan(WRITER_DELAY_MS / 2);
    expect((error as NodeJS.ErrnoException).code).toBe('ENOTREG');
  });
});
