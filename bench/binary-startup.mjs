// Size and startup time of the two basefiles a host can get: the JS artifact run by
// node (dist/tea), with its V8 code cache (the default: src/util/code-cache.ts) and without
// (TEA_CODE_CACHE=0), and the standalone binary (dist/tea-<platform>-<arch>).
// Build both first: npm run build && npm run build:binary
// Usage: node bench/binary-startup.mjs [runs=20]
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const runs = Number(process.argv[2] ?? 20);
const js = resolve('dist/tea');
const binary = resolve(`dist/tea-${process.platform}-${process.arch}`);
const dir = mkdtempSync(join(tmpdir(), 'tea-startup-'));
const workflow = join(dir, 'wf.yaml');
writeFileSync(workflow, 'nodes:\n  - name: a\n    run: |\n      return { ok: true };\n');

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
/** CPU time (user + system, ms) of this process's waited-for children so far (Linux: /proc/self/stat). */
function childrenCpuMs() {
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
  return ((Number(fields[13]) + Number(fields[14])) * 1000) / 100; // cutime + cstime, in 100 Hz ticks
}
/** Median wall time and mean CPU time per run: the CPU time is less disturbed by other load. */
function time(file, args, env) {
  execFileSync(file, args, { stdio: 'ignore', env }); // warm the page cache
  const samples = [];
  const cpuBefore = childrenCpuMs();
  for (let i = 0; i < runs; i += 1) {
    const t = process.hrtime.bigint();
    execFileSync(file, args, { stdio: 'ignore', env });
    samples.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  return `${median(samples).toFixed(0)} (cpu ${((childrenCpuMs() - cpuBefore) / runs).toFixed(0)})`;
}

// The measured environment: without this machine's NODE_OPTIONS / NODE_EXTRA_CA_CERTS (a CA
// bundle every Node process would parse at startup), as on a host.
const { NODE_OPTIONS, NODE_EXTRA_CA_CERTS, ...clean } = process.env;
const noCache = { ...clean, TEA_CODE_CACHE: '0' };
const run = ['run', workflow, '--output', join(dir, 'out.json')];
// A copy of dist/tea in the scratch dir: its code cache is made there (by a first run), like on a host.
const jsCopy = join(dir, 'tea');
copyFileSync(js, jsCopy);
execFileSync(process.execPath, [jsCopy, ...run], { stdio: 'ignore', env: clean });

const rows = [
  ['JS artifact (node dist/tea), code cache', jsCopy, process.execPath, [jsCopy], clean],
  ['JS artifact, TEA_CODE_CACHE=0', jsCopy, process.execPath, [jsCopy], noCache],
  ['standalone binary', binary, binary, [], clean],
].map(([name, file, cmd, pre, env]) => ({
  basefile: name,
  'size MiB': (statSync(file).size / 2 ** 20).toFixed(1),
  'tea --version ms': time(cmd, [...pre, '--version'], env),
  'tea run (1 node) ms': time(cmd, [...pre, ...run], env),
}));
rmSync(dir, { recursive: true, force: true });
console.log(`ms: median wall time of ${runs} runs (mean CPU time), ${new Date().toISOString().slice(0, 10)}, node ${process.version}, load ${os.loadavg()[0].toFixed(1)}`);
console.table(rows);
