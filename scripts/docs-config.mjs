// `npm run docs:config`: regenerates docs/configuration.md from the zod schemas
// (scripts/config-docs.ts, bundled with esbuild like scripts/build.mjs).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { build } from 'esbuild';

mkdirSync('.tmp', { recursive: true });
const outfile = '.tmp/config-docs.cjs';
await build({ entryPoints: ['scripts/config-docs.ts'], outfile, bundle: true, platform: 'node', format: 'cjs', logLevel: 'warning' });
const { renderConfigDocs, configKeys } = createRequire(import.meta.url)(`${process.cwd()}/${outfile}`);
const sources = { parallel: readFileSync('src/config/parallel.ts', 'utf8'), remote: readFileSync('src/config/remote.ts', 'utf8') };
const missing = configKeys(sources).filter((k) => k.description === undefined).map((k) => k.path);
if (missing.length > 0) {
  console.error(`docs:config: no description for ${missing.join(', ')}: add a /** doc comment */ (or .describe()) to the key`);
  process.exit(1);
}
writeFileSync('docs/configuration.md', renderConfigDocs(sources));
console.log('wrote docs/configuration.md');
