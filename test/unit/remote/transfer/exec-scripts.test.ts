import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BOOTSTRAP_COMMAND } from '../../../../src/remote/command/bootstrap';
import { afterMarker, readFrame, scriptRequest, scriptText, type ScriptName } from '../../../../src/remote/transfer/exec-scripts';
import { decideTransfer } from '../../../../src/remote/transfer/transfer-choice';
import { Semaphore } from '../../../../src/util/semaphore';

const names: ScriptName[] = ['ensureDir', 'size', 'put', 'read', 'remove'];

describe('exec transfer scripts', () => {
  it.each(names)('%s reaches sh on stdin: the login shell sees only the bootstrap', (name) => {
    const request = scriptRequest(name, ['/a b', "it's"], Buffer.from('content'));
    expect(request.command).toBe(BOOTSTRAP_COMMAND);
    const stdin = request.stdin as Buffer;
    expect(stdin.toString('utf8')).toMatch(/^set -- '\/a b' 'it'\\''s'; eval '.*'\ncontent$/s);
    expect(scriptText(name).length).toBeGreaterThan(0);
  });

  it('puts content after the program line and reads hostile paths verbatim, through fish and tcsh too', () => {
    const dir = mkdtempSync(join(tmpdir(), "tea-xfer \\' $(x) "));
    const target = join(dir, "f \\' x'y !! $(touch pwned)");
    for (const shell of ['sh', 'fish', 'tcsh']) {
      const put = scriptRequest('put', [target, `${target}.tmp`, '5', '-', '600'], Buffer.from('hello'));
      execFileSync(shell, ['-c', put.command], { input: put.stdin as Buffer, cwd: dir });
      const size = scriptRequest('size', [target, 'M']);
      expect(execFileSync(shell, ['-c', size.command], { input: size.stdin as Buffer, cwd: dir }).toString()).toBe('\nM\n5\n');
    }
    expect(execFileSync('ls', ['-A', dir]).toString()).toBe(`${target.slice(dir.length + 1)}\n`);
  });

  it('finds what follows the marker after rc text, with or without a final newline', () => {
    expect(afterMarker(Buffer.from('Welcome\n\ntea-xfer-1\n/tmp/x\n'), 'tea-xfer-1')?.toString()).toBe('/tmp/x\n');
    expect(afterMarker(Buffer.from('Welcome (no newline)\ntea-xfer-1\n/tmp/x\n'), 'tea-xfer-1')?.toString()).toBe('/tmp/x\n');
    expect(afterMarker(Buffer.from('tea-xfer-1\n/tmp/x\n'), 'tea-xfer-1')).toBeNull();
  });

  it('reads a frame only when it is whole', () => {
    const body = Buffer.from([0, 1, 10, 255]);
    const out = Buffer.concat([Buffer.from('motd\n\nm 4\n'), body]);
    expect(readFrame(out, 'm')).toEqual({ size: 4, content: body });
    expect(readFrame(out.subarray(0, out.length - 1), 'm')).toBeNull();
    expect(readFrame(Buffer.from('\nm x\n'), 'm')).toBeNull();
  });
});

describe('transfer choice', () => {
  const broken = { usable: false as const, why: 'no subsystem', error: new Error('x') };
  it('auto: SFTP when usable beside exec, else exec with the reason', () => {
    expect(decideTransfer('auto', { usable: true }, false)).toMatchObject({ kind: 'sftp', level: 'ok' });
    expect(decideTransfer('auto', broken, false)).toEqual({ kind: 'exec', level: 'ok', detail: 'files over exec channels: SFTP is not usable (no subsystem)' });
    expect(decideTransfer('auto', { usable: true }, true)).toMatchObject({ kind: 'exec', detail: expect.stringContaining('MaxSessions 1') });
  });
  it('sftp: a host without usable SFTP fails its preflight; exec: never looks at SFTP', () => {
    expect(decideTransfer('sftp', broken, false)).toMatchObject({ kind: 'sftp', level: 'fail' });
    expect(decideTransfer('sftp', { usable: true }, true)).toMatchObject({ kind: 'sftp', level: 'warn' });
    expect(decideTransfer('exec', null, false)).toMatchObject({ kind: 'exec', level: 'ok' });
  });
});

describe('Semaphore.setPermits (a limit learned from the server)', () => {
  it('shrinks without taking permits back, and grants waiters when it grows', async () => {
    const s = new Semaphore(3);
    const held = await Promise.all([s.acquire(), s.acquire()]);
    s.setPermits(1);
    let granted = false;
    const waiting = s.acquire().then((r) => ((granted = true), r));
    held[0]!();
    await new Promise((r) => setImmediate(r));
    expect(granted).toBe(false); // one still held, limit 1
    held[1]!();
    (await waiting)();
    expect(granted).toBe(true);
    expect(s.held).toBe(0);
  });
});
