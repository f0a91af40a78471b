import { existsSync, mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { codeCachePath, compileWithCache } from '../../../src/util/code-cache';

// A program with some functions, run as a CommonJS module body. Each test compiles its own
// text: V8 keeps compiled scripts in memory per process and would not consult a cache for
// a text it compiled before.
const programText = (tag: string) => `// ${tag}
function square(n) { return n * n; }
module.exports.answer = [1, 2, 3].map(square).reduce((a, b) => a + b, 0) + exports.base;
module.exports.file = __filename;
`;

function run(cachePath: string | null, tag = expect.getState().currentTestName!) {
  const program = compileWithCache(programText(tag), '/opt/tea/tea', cachePath);
  const module = { exports: { base: 100 } as Record<string, unknown> };
  program.run(module.exports, require, module as unknown as NodeJS.Module, '/opt/tea/tea', '/opt/tea');
  return { program, exports: module.exports };
}

describe('code cache', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tea-code-cache-'));

  it('names the cache after the file, the program, the Node version and the architecture', () => {
    expect(codeCachePath('/w/.cache/tea-0123', 'abcdef012345')).toBe(`/w/.cache/tea-0123.abcdef012345-${process.version}-${process.arch}.v8cache`);
  });

  it('writes the cache after the first run, private, and V8 takes it on the next', () => {
    const cache = join(dir, 'ok.v8cache');
    const first = run(cache);
    expect(first.exports.answer).toBe(114);
    expect(first.exports.file).toBe('/opt/tea/tea');
    expect(first.program.cacheUsed).toBe(false);
    expect(first.program.save()).toBe(true);
    expect(statSync(cache).mode & 0o777).toBe(0o600);

    const second = run(cache);
    expect(second.program.cacheUsed).toBe(true);
    expect(second.exports.answer).toBe(114);
    expect(second.program.save()).toBe(false); // a cache V8 took is not rewritten
  });

  it('runs without it and replaces it when the cache is not V8\'s (corrupt, truncated, other version)', () => {
    const cache = join(dir, 'bad.v8cache');
    writeFileSync(cache, Buffer.from('not a code cache at all, just some bytes'));
    const { program, exports } = run(cache);
    expect(program.cacheUsed).toBe(false);
    expect(exports.answer).toBe(114);
    expect(program.save()).toBe(true);
    expect(run(cache).program.cacheUsed).toBe(true);
  });

  it('gives up quietly where it cannot write, leaving no temp file', () => {
    const missing = join(dir, 'no-such-dir');
    const { program } = run(join(missing, 'x.v8cache'));
    expect(program.save()).toBe(false);
    expect(existsSync(missing)).toBe(false);
    expect(readdirSync(dir).filter((f) => !f.endsWith('.v8cache'))).toEqual([]);
  });

  it('reads and writes nothing when turned off (cachePath null)', () => {
    const before = readdirSync(dir);
    const { program } = run(null);
    expect(program.cacheUsed).toBe(false);
    expect(program.save()).toBe(false);
    expect(readdirSync(dir)).toEqual(before);
  });

  it('keeps the program\'s line numbers in stack traces', () => {
    const program = compileWithCache('\n\nthrow new Error("line 3");', '/opt/tea/tea', null);
    expect(() => program.run({}, require, {} as NodeJS.Module, '/opt/tea/tea', '/opt/tea')).toThrow(
      expect.objectContaining({ stack: expect.stringContaining('/opt/tea/tea:3:') }),
    );
  });
});
