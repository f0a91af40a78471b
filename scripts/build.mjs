// Builds the library (tsc -> dist/lib) and the single-file CLI artifact dist/tea,
// which bundles every dependency so it runs on Node >= 18 with no node_modules beside it.
import { execFileSync } from 'node:child_process';
import { chmodSync, rmSync } from 'node:fs';
import { build } from 'esbuild';
import { cliBundleOptions } from './bundle-options.mjs';

rmSync('dist', { recursive: true, force: true });
execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
await build({ ...cliBundleOptions, outfile: 'dist/tea', banner: { js: '#!/usr/bin/env node' } });
chmodSync('dist/tea', 0o755);
