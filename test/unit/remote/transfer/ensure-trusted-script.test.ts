import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scriptRequest, scriptText } from '../../../../src/remote/transfer/exec-scripts';

/** Runs the exec transfer's ensureTrusted script here, as a login shell would; its stdout. */
function run(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const request = scriptRequest('ensureTrusted', args);
    const child = execFile('/bin/sh', ['-c', request.command], (error, stdout, stderr) => (error ? reject(new Error(stderr)) : resolve(stdout)));
    child.stdin!.end(request.stdin as Buffer);
  });
}

describe('exec transfer: ensureTrusted script', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tea-trusted-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('stays shell-neutral: no single quote, newline or "!" for the login shell to read', () => {
    expect(scriptText('ensureTrusted')).not.toMatch(/['\n!]/);
  });

  it('makes missing components 0700 and prints the physical path after the marker', async () => {
    const out = await run(['MARK', dir, '0', 'a', 'b']);
    expect(out).toBe(`\nMARK\nok ${join(dir, 'a', 'b')}\n`);
    expect(statSync(join(dir, 'a', 'b')).mode & 0o777).toBe(0o700);
  });

  it('stops at the first existing component that is a symlink or writable by others, making nothing below it', async () => {
    mkdirSync(join(dir, 'open'));
    chmodSync(join(dir, 'open'), 0o777);
    expect(await run(['MARK', dir, '0', 'open', 'x'])).toBe(`\nMARK\nbad drwxrwxrwx ${process.getuid!()} 1\n`);
    symlinkSync(dir, join(dir, 'link'));
    expect(await run(['MARK', dir, '0', 'link', 'x'])).toMatch(/^\nMARK\nbad lrwxrwxrwx \d+ 1\n$/);
    expect(() => statSync(join(dir, 'open', 'x'))).toThrow();
  });

  it('accepts a root-owned sticky directory only up to the last allowed index', async () => {
    if (process.getuid?.() !== 0) throw new Error('run as root (CI does): the sticky directory must be root-owned');
    mkdirSync(join(dir, 'tmp'));
    chmodSync(join(dir, 'tmp'), 0o1777);
    expect(await run(['MARK', dir, '1', 'tmp', 'w'])).toBe(`\nMARK\nok ${join(dir, 'tmp', 'w')}\n`);
    expect(await run(['MARK', join(dir, 'tmp'), '0', 'w'])).toBe(`\nMARK\nok ${join(dir, 'tmp', 'w')}\n`);
    expect(await run(['MARK', dir, '0', 'tmp'])).toBe('\nMARK\nbad drwxrwxrwt 0 1\n');
  });
});
