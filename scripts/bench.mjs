#!/usr/bin/env node
// Compiles bench/*.ts to bench/dist/ and runs bench/dist/run.js with the given arguments.
// Bundled exactly like dist/tea (scripts/build.mjs): ssh2 inside the bundle, its optional
// native addons left out, so the floor and tea-remote take the same (pure-JS) crypto path. `npm run bench` goes through
// scripts/bench.sh, which builds dist/tea first.
import { spawnSync } from 'node:child_process';
import { build } from 'esbuild';

const root = new URL('..', import.meta.url).pathname;
await build({
  absWorkingDir: root,
  entryPoints: ['bench/run.ts', 'bench/floor.ts', 'bench/rss-probe.ts', 'bench/sftp-choice.ts'],
  outdir: 'bench/dist',
  bundle: true,
  external: ['cpu-features', '*.node'],
  platform: 'node',
  target: 'node18',
  format: 'cjs',
  logLevel: 'warning',
});
const run = spawnSync(process.execPath, [`${root}bench/dist/run.js`, ...process.argv.slice(2)], { stdio: 'inherit' });
process.exitCode = run.status ?? 1;
