import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Set by esbuild's `define` in the bundles (scripts/bundle-options.mjs): they run where no package.json is. */
declare const __TEA_VERSION__: string | undefined;

/** Unbundled (tests, dist/lib): the nearest package.json of this package, upwards from this file. */
function packageVersion(): string {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'tea-remote' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      /* none here: look further up */
    }
    if (dirname(dir) === dir) return 'unknown';
  }
}

/** This tea's version (`tea --version`; compared with the version of a basefile cached on a host). */
export const VERSION: string = typeof __TEA_VERSION__ === 'string' ? __TEA_VERSION__ : packageVersion();
