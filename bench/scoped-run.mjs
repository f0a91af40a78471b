// What one branch's scoped `tea run` costs as the workflow around it grows (issue 21): the
// same branch (`--entry-point b1 --exit-point join`, as a remote host runs it) of a
// fan-out workflow with 30, 300 and 1000 branches, run with the built dist/tea (code cache
// warm, as on a host), on the file a branch gets (the branch form, src/workflow/branch-form.ts)
// and, for comparison, on the YAML as written (what branches got before). Prints median wall
// and CPU (user+sys) per size and the ratio to the smallest.
// Build first (npm run build: dist/tea and dist/lib). Usage: node bench/scoped-run.mjs [runs=15] [sizes=30,300,1000]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const YAML = require('yaml');
const { loadWorkflow } = require('../dist/lib/workflow/load.js');
const root = fileURLToPath(new URL('..', import.meta.url));
const tea = join(root, 'dist/tea');
const runs = Number(process.argv[2] ?? 15);
const sizes = (process.argv[3] ?? '30,300,1000').split(',').map(Number);

/** The bench's fan-out shape (bench/lib/workflow.ts), with remote settings as a real run ships them. */
function workflow(n) {
  const names = Array.from({ length: n }, (_, i) => `b${i}`);
  return YAML.stringify({
    name: `scoped-${n}`,
    initial_state: { n: 21 },
    settings: { parallel: { strategy: 'remote', remote: { hosts: ['tea@h1', '4/tea@h2:2222'], workdir: '/tmp/tea-jobs' } } },
    nodes: [
      { name: 'start', run: 'return {};' },
      ...names.map((b, i) => ({ name: b, run: `const x = state.n * 2;\nreturn { out: x, b: ${i}, note: 'branch ${b} of ${n}' };` })),
      { name: 'join', run: 'return { ok: parallel_results.filter((r) => r.success).length };' },
    ],
    edges: [
      { from: '__start__', to: 'start' },
      { from: 'start', to: names, type: 'parallel', fan_in: 'join' },
      ...names.map((b) => ({ from: b, to: 'join', when: 'state.n > 0' })),
      { from: 'join', to: '__end__' },
    ],
  }, { lineWidth: 0 });
}

/** Wall and CPU seconds of one command, from bash's `time` (CPU includes the child's). */
function timed(args) {
  const out = execFileSync('bash', ['-c', 'TIMEFORMAT="%R %U %S"; { time "$@" >/dev/null; } 2>&1', 'timed', ...args], { encoding: 'utf8' });
  const [wall, user, sys] = out.trim().split('\n').pop().split(' ').map(Number);
  return { wall, cpu: user + sys };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const dir = mkdtempSync(join(tmpdir(), 'tea-scoped-'));
try {
  writeFileSync(join(dir, 'in.json'), '{"n":21}');
  // Every configuration once per round, rounds repeated: a busy machine's load drifts over
  // all of them alike instead of favouring whichever ran first.
  const configs = [];
  for (const form of ['branch form', 'YAML as written']) {
    for (const n of sizes) {
      const yaml = workflow(n);
      const file = join(dir, `wf-${form === 'branch form' ? 'json' : 'yaml'}-${n}.yaml`);
      writeFileSync(file, form === 'branch form' ? loadWorkflow(yaml).branchText : yaml);
      const args = [process.execPath, tea, 'run', file, '--entry-point=b1', '--exit-point=join', `--input=${join(dir, 'in.json')}`, `--output=${join(dir, 'out.json')}`];
      timed(args); // warm the code cache and the page cache
      configs.push({ form, n, kb: Math.round(statSync(file).size / 1024), args, samples: [] });
    }
  }
  for (let round = 0; round < runs; round += 1) {
    // In a new order each round: no configuration always runs right after another.
    const order = configs.map((c) => [Math.random(), c]).sort((a, b) => a[0] - b[0]).map(([, c]) => c);
    for (const c of order) c.samples.push(timed(c.args));
  }
  const rows = configs.map((c) => ({ ...c, wall: median(c.samples.map((s) => s.wall)), cpu: median(c.samples.map((s) => s.cpu)) }));
  console.log(`scoped tea run of one branch (b1 -> join), median of ${runs} runs, ${process.version}, load average ${os.loadavg()[0].toFixed(1)}`);
  console.log('| workflow file | branches | KB | wall s | CPU s | wall / smallest | CPU / smallest |');
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    const base = rows.find((x) => x.form === r.form);
    console.log(`| ${r.form} | ${r.n} | ${r.kb} | ${r.wall.toFixed(3)} | ${r.cpu.toFixed(3)} | ${(r.wall / base.wall).toFixed(2)} | ${(r.cpu / base.cpu).toFixed(2)} |`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
