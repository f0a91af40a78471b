import { dirname } from 'node:path';
import { CODE_CACHE_ENV, PROGRAM_SLOT, codeCachePath, compileWithCache, type LoadedProgram } from '../util/code-cache';

// The entry of dist/tea: runs the bundled CLI (__TEA_PROGRAM__, put in by scripts/build.mjs)
// through a V8 code cache. See code-cache.ts.

declare const __TEA_PROGRAM__: string;
/** The first 12 hex digits of the program's sha256, computed at build time. */
declare const __TEA_PROGRAM_HASH__: string;

const cachePath = process.env[CODE_CACHE_ENV] === '0' ? null : codeCachePath(__filename, __TEA_PROGRAM_HASH__);
const program = compileWithCache(__TEA_PROGRAM__, __filename, cachePath);
// Only `tea run` writes the cache: the first thing to start on a new host is `tea --version`
// (preflight), whose cache would lack most of what a run compiles.
if (process.argv[2] === 'run') process.once('exit', program.save);
// The warm runner starts a worker per branch from the program in memory (src/remote/runner/).
if (process.argv[2] === '__runner') {
  const loaded: LoadedProgram = Object.freeze({ text: __TEA_PROGRAM__, cachePath });
  Object.defineProperty(globalThis, PROGRAM_SLOT, { value: loaded });
}
program.run(module.exports, require, module, __filename, dirname(__filename));
