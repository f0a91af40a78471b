import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { TeaError } from '../errors';
import { expandHome } from './hosts';

export interface Basefile {
  localPath: string;
  sha256: string;
  size: number;
}

/** This tea's own single-file artifact (dist/tea), wherever this code runs from. */
export function defaultBasefilePath(): string | null {
  const candidates = [
    /[\\/]tea$/.test(__filename) ? __filename : null, // running as the bundle itself
    join(__dirname, 'tea'),
    join(__dirname, '..', '..', 'tea'), // dist/lib/remote -> dist/tea
    join(__dirname, '..', '..', 'dist', 'tea'), // src/remote -> dist/tea (tests)
  ];
  return candidates.find((c): c is string => c !== null && existsSync(c)) ?? null;
}

/** Resolves and fingerprints the file shipped to hosts as `tea` (relative paths: from the current directory). */
export function loadBasefile(configured: string | undefined, where = 'settings.parallel.remote.basefile'): Basefile {
  const path = configured === undefined ? defaultBasefilePath() : resolve(expandHome(configured));
  if (path === null) {
    throw new TeaError('E_CONFIG_INVALID', `${where}: not set and this tea's own artifact (dist/tea) was not found: run "npm run build" or set basefile`);
  }
  let size: number;
  try {
    const stat = statSync(path);
    if (!stat.isFile()) throw new Error('not a regular file');
    size = stat.size;
  } catch (error) {
    throw new TeaError('E_CONFIG_INVALID', `${where}: cannot use ${path}: ${(error as Error).message}`);
  }
  const sha256 = createHash('sha256').update(readFileSync(path)).digest('hex');
  return { localPath: path, sha256, size };
}
