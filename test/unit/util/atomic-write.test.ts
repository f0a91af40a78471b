import { chmodSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { writeFileAtomic, writeFileAtomicSync } from '../../../src/util/atomic-write';

describe.each([
  ['writeFileAtomic', writeFileAtomic],
  ['writeFileAtomicSync', async (file: string, data: string | Buffer, mode?: number) => writeFileAtomicSync(file, data, mode)],
])('%s', (_name, write) => {
  it('replaces the file whole, with the given mode, and leaves no temp file', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tea-atomic-'));
    const file = path.join(dir, 'result.json');
    writeFileSync(file, 'old');
    await write(file, Buffer.from('{"new":true}'), 0o640);
    expect(readFileSync(file, 'utf8')).toBe('{"new":true}');
    expect(statSync(file).mode & 0o777).toBe(0o640);
    expect(readdirSync(dir)).toEqual(['result.json']);
  });

  it('on failure keeps the old file, removes its temp file and rethrows', async () => {
    if (process.getuid?.() === 0) {
      // root writes anywhere: fail the rename instead (the target is a non-empty directory).
      const dir = mkdtempSync(path.join(tmpdir(), 'tea-atomic-'));
      writeFileSync(path.join(dir, 'keep'), 'x');
      await expect(write(dir, 'data')).rejects.toThrow();
      expect(readFileSync(path.join(dir, 'keep'), 'utf8')).toBe('x');
      expect(readdirSync(path.dirname(dir)).filter((f) => f.startsWith(`${path.basename(dir)}.tmp-`))).toEqual([]);
      return;
    }
    const dir = mkdtempSync(path.join(tmpdir(), 'tea-atomic-'));
    const file = path.join(dir, 'result.json');
    writeFileSync(file, 'old');
    chmodSync(dir, 0o500);
    await expect(write(file, 'new')).rejects.toThrow();
    chmodSync(dir, 0o700);
    expect(readFileSync(file, 'utf8')).toBe('old');
    expect(readdirSync(dir)).toEqual(['result.json']);
  });
});
