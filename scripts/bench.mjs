#!/usr/bin/env node
// Compiles bench/*.ts to bench/dist/ (esbuild, dependencies left in node_modules)
// and runs bench/dist/run.js with the given arguments. `npm run bench` goes through
// scripts/bench.sh, which builds dist/tea first.
import { spawnSync } from 'node:child_process';
import { build } from 'esbuild';

const root = new URL('..', import.meta.url).pathname;
await build({
  absWorkingDir: root,
  entryPoints: ['bench/run.ts', 'bench/floor.ts', 'bench/rss-probe.ts', 'bench/sftp-choice.ts'],
  outdir: 'bench/dist',
  bundle: true,
  packages: 'external',
  platform: 'node',
  target: 'node18',
  format: 'cjs',
  logLevel: 'warning',
});
const run = spawnSync(process.execPath, [`${root}bench/dist/run.js`, ...process.argv.slice(2)], { stdio: 'inherit' });
process.exitCode = run.status ?? 1;
