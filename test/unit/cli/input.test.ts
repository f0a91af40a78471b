import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { readInput } from '../../../src/cli/input';
import { TeaError } from '../../../src/errors';

const noStdin = Readable.from([]);
const dir = mkdtempSync(path.join(os.tmpdir(), 'tea-input-'));
const file = path.join(dir, 'in.json');
writeFileSync(file, '\uFEFF{"from":"file","ü":"✓"}');

async function inputError(spec: string, stdin: NodeJS.ReadableStream = noStdin): Promise<string> {
  try {
    await readInput(spec, stdin);
  } catch (error) {
    expect((error as TeaError).code).toBe('E_INPUT_INVALID');
    return (error as TeaError).message;
  }
  throw new Error('expected an input error');
}

describe('readInput', () => {
  it('reads nothing as an empty state', async () => {
    expect(await readInput(undefined, noStdin)).toEqual({});
  });

  it('reads a file path, @path, inline JSON and stdin', async () => {
    expect(await readInput(file, noStdin)).toEqual({ from: 'file', ü: '✓' });
    expect(await readInput(`@${file}`, noStdin)).toEqual({ from: 'file', ü: '✓' });
    expect(await readInput(' {"inline": [1, 2]}', noStdin)).toEqual({ inline: [1, 2] });
    expect(await readInput('-', Readable.from([Buffer.from('{"from":'), Buffer.from('"stdin"}')]))).toEqual({ from: 'stdin' });
  });

  it('rejects what is not a JSON object, saying where it came from', async () => {
    expect(await inputError('{"a":')).toMatch(/^--input inline JSON is not valid JSON: /);
    expect(await inputError('[1]')).toBe('--input inline JSON must be a JSON object (got an array)');
    expect(await inputError('-', Readable.from(['42']))).toBe('--input stdin must be a JSON object (got a number)');
    expect(await inputError('-', Readable.from(['  ']))).toBe('--input stdin is empty (expected a JSON object)');
    expect(await inputError('missing.json')).toBe('cannot read --input missing.json: no such file (inline JSON must start with "{")');
    expect(await inputError('@missing.json')).toMatch(/^cannot read --input missing\.json: no such file/);
  });
});
