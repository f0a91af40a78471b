import { readFileSync, readdirSync, statSync } from 'node:fs';
import { writeFileAtomicSync } from './atomic-write';
import { basename, dirname, join } from 'node:path';
import { Script } from 'node:vm';

/**
 * A V8 code cache for the single-file CLI. Node 20 compiles the whole 1.7 MB bundle on
 * every start (~90 ms, and the functions a run needs again after that); every remote
 * branch is a fresh `tea run`, so this is paid once per branch. With the bytecode cached
 * beside the file, a `tea run` starts in about half the CPU time (bench/binary-startup.mjs).
 *
 * The cache sits beside the file it belongs to (on a host: beside the content-addressed
 * basefile in `<workdir>/.cache`), so whoever can write it could replace the file itself.
 * V8 refuses a cache made by another V8 version, flags or source; the file is then rewritten.
 */

/** `TEA_CODE_CACHE=0` turns the cache off (nothing read, nothing written). */
export const CODE_CACHE_ENV = 'TEA_CODE_CACHE';

/**
 * One cache per program text, Node version and architecture (hosts may share a home over
 * NFS). The program's hash is in the name because V8 checks only the source's *length*:
 * a rebuilt dist/tea of the same length must not run the previous build's bytecode.
 */
export function codeCachePath(file: string, programHash: string, nodeVersion = process.version, arch: string = process.arch): string {
  return `${file}.${programHash}-${nodeVersion}-${arch}.v8cache`;
}

/**
 * The code caches beside `file` for that Node version and architecture, newest first:
 * after rebuilds in place there may be several, and the newest is the current build's.
 */
export function codeCachesBeside(file: string, nodeVersion: string, arch: string): string[] {
  const dir = dirname(file);
  const hashAt = basename(file).length + 1;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .filter((name) => {
      const hash = name.slice(hashAt, hashAt + 12);
      return /^[0-9a-f]{12}$/.test(hash) && name === basename(codeCachePath(file, hash, nodeVersion, arch));
    })
    .map((name) => ({ path: join(dir, name), mtime: mtimeOf(join(dir, name)) }))
    .filter((c): c is { path: string; mtime: number } => c.mtime !== null)
    .sort((a, b) => b.mtime - a.mtime)
    .map((c) => c.path);
}

function mtimeOf(path: string): number | null {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return null; // removed meanwhile
  }
}

/** The CommonJS module function of `program`, compiled with the cache at `cachePath` when it is valid. */
export interface CachedProgram {
  readonly run: (exports: unknown, require: NodeJS.Require, module: NodeJS.Module, filename: string, dirname: string) => void;
  /** Whether V8 used the cache (false when there was none or it was refused). */
  readonly cacheUsed: boolean;
  /**
   * Writes the cache when there was none or it was refused; call it after the program ran,
   * so the functions compiled lazily during the run are in it too. Best effort: never
   * throws; returns whether a cache was written.
   */
  readonly save: () => boolean;
}

/**
 * The CommonJS wrapper the program is compiled in: the code cache belongs to this exact text
 * (compile it with `lineOffset: -1`). The line break before `program` keeps its line numbers
 * in stack traces one off, not shifted by columns.
 */
export function wrapProgram(program: string): string {
  return `(function (exports, require, module, __filename, __dirname) {\n${program}\n})`;
}

/**
 * What `tea __runner` hands its branch workers so they do not parse dist/tea again (the
 * program is a 1.8 MB string literal in it): set by the loader for the runner only.
 */
export const PROGRAM_SLOT = Symbol.for('tea.program');

export interface LoadedProgram {
  /** The program text (not wrapped). */
  text: string;
  /** Its code cache file, or null when the cache is off. */
  cachePath: string | null;
}

export function compileWithCache(program: string, filename: string, cachePath: string | null): CachedProgram {
  const cachedData = cachePath === null ? undefined : readIfPresent(cachePath);
  const script = new Script(wrapProgram(program), {
    filename,
    lineOffset: -1,
    ...(cachedData === undefined ? {} : { cachedData }),
  });
  const cacheUsed = cachedData !== undefined && script.cachedDataRejected !== true;
  return {
    run: script.runInThisContext() as CachedProgram['run'],
    cacheUsed,
    save: () => (cachePath === null || cacheUsed ? false : writeAtomically(cachePath, () => script.createCachedData())),
  };
}

function readIfPresent(path: string): Buffer | undefined {
  try {
    return readFileSync(path);
  } catch {
    return undefined;
  }
}

/** A reader never sees half a cache: concurrent branches on one host each write their own temp file, then rename. */
function writeAtomically(path: string, data: () => Buffer): boolean {
  try {
    writeFileAtomicSync(path, data(), 0o600);
    return true;
  } catch {
    // Read-only or full file system: run without a cache, as before.
    return false;
  }
}
