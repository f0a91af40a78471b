// Builds the standalone tea binary dist/tea-<platform>-<arch>: one executable that runs
// `tea run ...` on hosts without Node, made with Node's single executable application
// (SEA) support: the CLI bundle becomes a blob injected (postject) into a copy of a node
// binary of the target platform. See docs/binary.md.
//
//   node scripts/build-binary.mjs                       # this machine's platform (npm run build:binary)
//   node scripts/build-binary.mjs --node ./node-v20.20.2-linux-arm64/bin/node --target linux-arm64
//
// --node   the node binary to embed (default: the one running this script). It must be
//          the same Node version as the one running this script: the blob format is
//          version-specific.
// --target <platform>-<arch> in Node's names (linux-x64, linux-arm64, darwin-arm64,
//          win32-x64); default: this machine's. Names the output file.
// --no-strip  keep the node binary's symbols (by default they are stripped when `strip`
//          exists and the target is this machine's platform: ~12 MB less).
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import { cliBundleOptions } from './bundle-options.mjs';

const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';
const here = `${process.platform}-${process.arch}`;
const { values } = parseArgs({
  options: {
    node: { type: 'string', default: process.execPath },
    target: { type: 'string', default: here },
    'no-strip': { type: 'boolean', default: false },
  },
  strict: true,
});
const target = values.target;
if (!/^(linux|darwin|win32|freebsd)-[a-z0-9]+$/.test(target)) {
  throw new Error(`--target must be <platform>-<arch> in Node's names (e.g. linux-arm64), got "${target}"`);
}
const native = target === here && resolve(values.node) === process.execPath;
const started = Date.now();
const work = resolve('dist/.binary-build');
const out = resolve(`dist/tea-${target}${target.startsWith('win32-') ? '.exe' : ''}`);
rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });

// 1. The main script: the same bundle as dist/tea, but with no require of any file. A SEA's
//    main script can only require built-in modules (anything else warns on stderr and
//    throws), so ssh2's optional native addons become modules that throw when loaded:
//    exactly what ssh2 sees when they are absent, and it falls back to pure JS.
const main = join(work, 'main.cjs');
await build({
  ...cliBundleOptions,
  outfile: main,
  external: [],
  plugins: [
    {
      name: 'absent-native-addons',
      setup(b) {
        b.onResolve({ filter: /^cpu-features$|\.node$/ }, (args) => ({ path: args.path, namespace: 'absent' }));
        b.onLoad({ filter: /.*/, namespace: 'absent' }, (args) => ({
          contents: `throw new Error(${JSON.stringify(`${args.path}: native addon not in the standalone tea binary`)});`,
          loader: 'js',
        }));
      },
    },
  ],
});

// 2. The blob. V8's code cache is only valid for this exact node binary: used natively only.
const blob = join(work, 'sea.blob');
const config = join(work, 'sea-config.json');
writeFileSync(config, JSON.stringify({ main, output: blob, disableExperimentalSEAWarning: true, useCodeCache: native }));
execFileSync(process.execPath, ['--experimental-sea-config', config], { stdio: ['ignore', 'ignore', 'inherit'] });

// 3. A copy of the target's node binary, stripped when we can, with the blob injected.
if (!readFileSync(values.node).includes(SEA_FUSE)) {
  throw new Error(`${values.node} has no single-executable-application support (no ${SEA_FUSE}): use an official Node >= 20 build`);
}
rmSync(out, { force: true });
copyFileSync(values.node, out);
chmodSync(out, 0o755);
let stripped = false;
if (native && process.platform === 'linux' && !values['no-strip']) {
  try {
    execFileSync('strip', [out], { stdio: 'ignore' });
    stripped = true;
  } catch {
    console.warn('build-binary: `strip` not available or failed: keeping the symbols (apt-get install binutils to strip)');
  }
}
const { inject } = await import('postject');
await inject(out, 'NODE_SEA_BLOB', readFileSync(blob), {
  sentinelFuse: SEA_FUSE,
  ...(target.startsWith('darwin-') ? { machoSegmentName: 'NODE_SEA' } : {}),
});
rmSync(work, { recursive: true, force: true });

// 4. A native build must run: it is what the e2e tests ship to hosts without Node.
const { version } = JSON.parse(readFileSync('package.json', 'utf8'));
if (native) {
  const reported = execFileSync(out, ['--version'], { encoding: 'utf8' }).trim();
  if (reported !== version) throw new Error(`${out} --version printed "${reported}", expected "${version}"`);
}
const mib = (statSync(out).size / 2 ** 20).toFixed(1);
console.log(
  `build-binary: ${out} (${target}, ${mib} MiB${stripped ? ', stripped' : ''}, node ${values.node}) in ${Date.now() - started} ms` +
    (target.startsWith('darwin-') ? '\nbuild-binary: on macOS, sign it before use: codesign --sign - ' + out : ''),
);
