// Builds the library (tsc -> dist/lib) and the single-file CLI artifact dist/tea,
// which bundles every dependency so it runs on Node >= 18 with no node_modules beside it.
// dist/tea is the bundled CLI held as a string by a small loader (src/cli/loader.ts) that
// compiles it through a V8 code cache: see src/util/code-cache.ts.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, rmSync } from 'node:fs';
import { build } from 'esbuild';
import { cliBundleOptions } from './bundle-options.mjs';

rmSync('dist', { recursive: true, force: true });
execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
const cli = await build({ ...cliBundleOptions, write: false, outfile: 'dist/tea.program.js' });
const program = cli.outputFiles[0].text;
const programHash = createHash('sha256').update(program).digest('hex').slice(0, 12);
await build({
  ...cliBundleOptions,
  entryPoints: ['src/cli/loader.ts'],
  define: { ...cliBundleOptions.define, __TEA_PROGRAM__: JSON.stringify(program), __TEA_PROGRAM_HASH__: JSON.stringify(programHash) },
  outfile: 'dist/tea',
  banner: { js: '#!/usr/bin/env node' },
});
chmodSync('dist/tea', 0o755);
