// Builds the library (tsc -> dist/lib) and the single-file CLI artifact dist/tea,
// which bundles every dependency so it runs on Node >= 18 with no node_modules beside it.
import { execFileSync } from 'node:child_process';
import { chmodSync, rmSync } from 'node:fs';
import { build } from 'esbuild';

rmSync('dist', { recursive: true, force: true });
execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
await build({
  entryPoints: ['src/cli/main.ts'],
  outfile: 'dist/tea',
  bundle: true,
  platform: 'node',
  target: 'node18',
  format: 'cjs',
  banner: { js: '#!/usr/bin/env node' },
  // ssh2's optional native addons: the pure-JS fallbacks are used when they are absent.
  external: ['cpu-features', '*.node'],
  logLevel: 'warning',
  legalComments: 'none',
});
chmodSync('dist/tea', 0o755);
