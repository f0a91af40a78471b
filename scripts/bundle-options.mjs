// The esbuild options of the single-file CLI bundle, shared by dist/tea (build.mjs) and
// the standalone binary's main script (build-binary.mjs), so the two never drift apart.
import { readFileSync } from 'node:fs';

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

/**
 * zod re-exports every locale's message table (`z.locales`); evaluating them costs each
 * `tea run` (every remote branch) ~15 ms of startup. tea only uses English, which zod
 * configures from its own `locales/en.js`, so the bundle gets an empty `z.locales`.
 */
const zodEnglishOnly = {
  name: 'zod-english-only',
  setup(build) {
    build.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      /[\\/]zod[\\/]v4[\\/](classic|core|mini)$/.test(args.resolveDir) ? { path: 'zod-locales', namespace: 'zod-english-only' } : undefined);
    build.onLoad({ filter: /.*/, namespace: 'zod-english-only' }, () => ({ contents: 'export {};', loader: 'js' }));
  },
};

export const cliBundleOptions = {
  entryPoints: ['src/cli/main.ts'],
  bundle: true,
  platform: 'node',
  target: 'node18',
  format: 'cjs',
  // ssh2's optional native addons: the pure-JS fallbacks are used when they are absent.
  external: ['cpu-features', '*.node'],
  // src/version.ts: the bundle runs where no package.json is.
  define: { __TEA_VERSION__: JSON.stringify(version) },
  logLevel: 'warning',
  legalComments: 'none',
  plugins: [zodEnglishOnly],
};
