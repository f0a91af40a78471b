// A literal require of package.json: esbuild inlines it into dist/tea, so the
// single-file artifact knows its version with no package.json beside it.
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const VERSION: string = (require('../../package.json') as { version: string }).version;
