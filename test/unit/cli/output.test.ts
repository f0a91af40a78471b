import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { checkOutputPath, writeJsonAtomic } from '../../../src/cli/output';
import { TeaError } from '../../../src/errors';

const dir = mkdtempSync(path.join(os.tmpdir(), 'tea-output-'));

describe('--output', () => {
  it('replaces the file in one step and leaves no temp file', async () => {
    const file = path.join(dir, 'out.json');
    writeFileSync(file, 'old');
    await writeJsonAtomic(file, { a: 'ü✓', n: 1 });
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ a: 'ü✓', n: 1 });
    expect(readdirSync(dir)).toEqual(['out.json']);
  });

  it('leaves the old file alone when the state cannot be written as JSON', async () => {
    const file = path.join(dir, 'keep.json');
    writeFileSync(file, 'old');
    await expect(writeJsonAtomic(file, { big: 1n })).rejects.toThrow(/cannot be written as JSON/);
    expect(readFileSync(file, 'utf8')).toBe('old');
  });

  it('checks the target before the run', async () => {
    mkdirSync(path.join(dir, 'sub'));
    await expect(checkOutputPath(path.join(dir, 'nope', 'out.json'))).rejects.toMatchObject({ code: 'E_USAGE' });
    await expect(checkOutputPath(path.join(dir, 'sub'))).rejects.toBeInstanceOf(TeaError);
    expect(await checkOutputPath(path.join(dir, 'sub', 'x.json'))).toBe(path.join(dir, 'sub', 'x.json'));
  });
});
