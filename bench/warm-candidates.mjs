// Issue 19: what a branch's scoped run costs on its host with each way of running it warm,
// against a fresh `node dist/tea run` per branch (docs/decisions.md, "Warm runner").
// Every candidate runs the same branch (`--entry-point b1 --exit-point join` of a 30-branch
// bench workflow, branch form, trivial body) N times, one after another, and reports the
// CPU (user+sys, of this process and its children) per branch:
// - process: `node dist/tea run ...` per branch (code cache warm), what a branch costs today;
// - worker: a fresh worker_thread per branch in one long-lived process, running dist/tea
//   itself (its loader compiles the program through the V8 code cache);
// - vm-context: a fresh vm context per branch in one process running the engine (dist/lib):
//   cheapest, but shares process, process.env and cannot stop a synchronous loop (rejected);
// - warm runner: `tea __runner` (src/remote/runner/host-runner.ts) started once, fed one
//   request per branch on its fd 3, once starting each branch's worker on arrival, once with a
//   standby worker kept (started ahead: the latency column shows what leaves the branch's path);
//   as a host runs it (without SSH): CPU of the runner process;
// - in-process: the engine called directly (the floor: no isolation at all).
// Build first (npm run build). Usage: node bench/warm-candidates.mjs [runs=40]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import vm from 'node:vm';

const require = createRequire(import.meta.url);
const YAML = require('yaml');
const { loadWorkflow } = require('../dist/lib/workflow/load.js');
const root = fileURLToPath(new URL('..', import.meta.url));
const tea = join(root, 'dist/tea');
const runs = Number(process.argv[2] ?? 40);

function workflow(n) {
  const names = Array.from({ length: n }, (_, i) => `b${i}`);
  return YAML.stringify({
    name: `warm-${n}`,
    initial_state: { n: 21 },
    nodes: [
      { name: 'start', run: 'return {};' },
      ...names.map((b, i) => ({ name: b, run: `return { out: state.n * 2, b: ${i} };` })),
      { name: 'join', run: 'return { ok: parallel_results.length };' },
    ],
    edges: [
      { from: '__start__', to: 'start' },
      { from: 'start', to: names, type: 'parallel', fan_in: 'join' },
      ...names.map((b) => ({ from: b, to: 'join' })),
      { from: 'join', to: '__end__' },
    ],
  }, { lineWidth: 0 });
}

const dir = mkdtempSync(join(tmpdir(), 'tea-warm-cand-'));
const file = join(dir, 'wf.yaml');
writeFileSync(file, loadWorkflow(workflow(30)).branchText);
writeFileSync(join(dir, 'in.json'), '{"n":21}');
const argv = (i) => ['run', file, '--entry-point=b1', '--exit-point=join', `--input=${join(dir, 'in.json')}`, `--output=${join(dir, `out-${i}.json`)}`];
const env = { PATH: process.env.PATH, HOME: process.env.HOME };

function cpuMs() {
  const self = process.cpuUsage();
  const kids = process.resourceUsage();
  return (self.user + self.system) / 1000;
}
function childCpuMs() {
  // Children's CPU, from /proc/self/stat fields cutime+cstime (clock ticks, 100/s).
  const f = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
  return (Number(f[13]) + Number(f[14])) * 10;
}
function check(i) {
  const out = JSON.parse(readFileSync(join(dir, `out-${i}.json`), 'utf8'));
  if (out.out !== 42 || out.b !== 1) throw new Error(`wrong result ${JSON.stringify(out)}`);
}

async function measure(name, one) {
  await one(-1); await one(-2); // warm code cache, page cache, JIT
  const c0 = cpuMs(), k0 = childCpuMs(), t0 = performance.now();
  for (let i = 0; i < runs; i += 1) { await one(i); check(i); }
  const cpu = (cpuMs() - c0 + childCpuMs() - k0) / runs;
  const wall = (performance.now() - t0) / runs;
  const rss = process.memoryUsage().rss / 1e6;
  console.log(`| ${name} | ${wall.toFixed(1)} | ${cpu.toFixed(1)} | ${rss.toFixed(0)} |`);
}

console.log(`one branch (b1 -> join of 30), ${runs} runs each in sequence, ${process.version}, load ${os.loadavg()[0].toFixed(1)}`);
console.log('| candidate | wall ms/branch (runner rows: median request -> reply) | CPU ms/branch | measuring process RSS MB after |');
console.log('|---|---:|---:|---:|');
await measure('process: node dist/tea run', async (i) => { execFileSync(process.execPath, [tea, ...argv(i)], { env }); });
await measure('worker_thread running dist/tea (code cache)', (i) => new Promise((resolve, reject) => {
  const w = new Worker(tea, { argv: argv(i), env: { ...env }, stdout: true, stderr: true });
  w.stdout.resume(); w.stderr.resume();
  w.once('error', reject).once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`exit ${code}`))));
}));
// The runner as a host runs it (no SSH): requests on fd 3, replies on fd 4, its CPU from /proc.
// `standbys`: standby workers it keeps (0: each branch starts its worker on arrival). `pauseMs`
// between branches gives a standby time to be ready, as when branches do not come back to back;
// the latency column is request -> reply (median), the pauses are not in it.
async function runnerCandidate(name, standbys, pauseMs) {
  const { spawn } = await import('node:child_process');
  const runner = spawn(process.execPath, [tea, '__runner', tea, 'n0nce', '2', dir], { env, stdio: ['ignore', 'ignore', 'inherit', 'pipe', 'pipe', 'inherit'] });
  const waiting = new Map();
  let buffered = '';
  runner.stdio[4].on('data', (chunk) => {
    buffered += chunk;
    for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      if (!line.startsWith('{')) continue;
      const reply = JSON.parse(line);
      waiting.get(reply.id)?.(reply);
    }
  });
  const runnerCpuMs = () => {
    const f = readFileSync(`/proc/${runner.pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) * 10;
  };
  let id = 0;
  const one = (i) => new Promise((resolve, reject) => {
    const me = (id += 1);
    const t = performance.now();
    waiting.set(me, (reply) => (reply.code === 0 ? resolve({ ...reply, ms: performance.now() - t }) : reject(new Error(`exit ${reply.code}: ${reply.stderrTail}`))));
    const a = argv(i);
    runner.stdio[3].write(`${JSON.stringify({ t: 'run', id: me, argv: a, flowDir: join(dir, `f-${me}`), input: Buffer.from('{"n":21}').toString('base64'), env: {}, maxResultBytes: 1 << 20, cleanup: true, standbys })}\n`);
  });
  const pause = () => new Promise((r) => setTimeout(r, pauseMs));
  runner.stdio[3].write(`${JSON.stringify({ t: 'standby', n: standbys })}\n`);
  await one(-1); await pause(); await one(-2); await pause();
  let cpu = 0;
  let rss = 0;
  let onStandby = 0;
  const latencies = [];
  for (let i = 0; i < runs; i += 1) {
    const c0 = runnerCpuMs();
    const reply = await one(i);
    if (standbys > 0) await pause(); // the standby's start belongs to the branch it replaces
    cpu += runnerCpuMs() - c0;
    rss = Math.max(rss, reply.rss);
    if (reply.standby) onStandby += 1;
    latencies.push(reply.ms);
    check(i);
    if (standbys === 0) await pause();
  }
  latencies.sort((x, y) => x - y);
  console.log(`| ${name} (${onStandby}/${runs} on a standby), CPU of the runner | ${latencies[Math.floor(runs / 2)].toFixed(1)} | ${(cpu / runs).toFixed(1)} | runner ${(rss / 1e6).toFixed(0)} |`);
  runner.stdio[3].end();
  await new Promise((r) => runner.once('exit', r));
}
await runnerCandidate('warm runner, a worker started per branch', 0, 150);
await runnerCandidate('warm runner, standby workers (1 kept)', 1, 150);
const { runCli } = require('../dist/lib/cli/program.js');
const io = () => ({ stdout: { write: (_s, cb) => (typeof cb === 'function' && cb(), true) }, stderr: process.stderr, stdin: process.stdin, signal: new AbortController().signal });
await measure('vm context + engine in one process (no isolation of process/env)', async (i) => {
  const ctx = vm.createContext({});
  vm.runInContext('globalThis.x = 1', ctx);
  const code = await runCli(argv(i), io());
  if (code !== 0) throw new Error(`exit ${code}`);
});
await measure('in-process engine (floor, no isolation)', async (i) => {
  const code = await runCli(argv(i), io());
  if (code !== 0) throw new Error(`exit ${code}`);
});
rmSync(dir, { recursive: true, force: true });
