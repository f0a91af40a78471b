// The warm runner against processes without SSH (issue 19, bench/README.md row 8): 24 real
// branches (b1 -> join of a 30-branch workflow), 8 at a time, (1) each a `node dist/tea run`
// in a session of its own (setsid, as sshd starts every exec), (2) all in one `tea __runner`
// (one session), fed on its fd 3 as warm-runner.ts does over SSH. Prints wall time and CPU
// per branch of each, two rounds. Build first (npm run build). Usage: node bench/warm-vs-processes.mjs
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
const tea = fileURLToPath(new URL('../dist/tea', import.meta.url)); const dir = mkdtempSync('/tmp/tea-ag-'); const N = 24, C = 8;
const argv = (i) => ['run', wf, '--entry-point=b1', '--exit-point=join', `--input=${dir}/in.json`, `--output=${dir}/o-${i}.json`];
import { writeFileSync } from 'node:fs'; writeFileSync(`${dir}/in.json`, '{"n":21}');
// The bench's fan-out shape in branch form (what a host gets), as bench/warm-candidates.mjs makes it.
const require = createRequire(import.meta.url);
const YAML = require('yaml');
const { loadWorkflow } = require('../dist/lib/workflow/load.js');
const names = Array.from({ length: 30 }, (_, i) => `b${i}`);
const wf = `${dir}/wf.yaml`;
writeFileSync(wf, loadWorkflow(YAML.stringify({ name: 'w', initial_state: { n: 21 }, nodes: [{ name: 'start', run: 'return {};' }, ...names.map((b, i) => ({ name: b, run: `return { out: state.n * 2, b: ${i} };` })), { name: 'join', run: 'return {};' }], edges: [{ from: '__start__', to: 'start' }, { from: 'start', to: names, type: 'parallel', fan_in: 'join' }, ...names.map((b) => ({ from: b, to: 'join' })), { from: 'join', to: '__end__' }] })).branchText);
async function pool(one) { let next = 0; const t0 = performance.now(); await Promise.all(Array.from({ length: C }, async () => { while (next < N) await one(next++); })); return performance.now() - t0; }
const kids = () => { const f = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' '); return (Number(f[13]) + Number(f[14])) * 10; };
for (let round = 0; round < 2; round++) {
  const k0 = kids();
  const wallP = await pool((i) => new Promise((res) => spawn('setsid', [process.execPath, tea, ...argv(i)], { stdio: 'ignore' }).on('exit', res)));
  const cpuP = (kids() - k0) / N;
  const runner = spawn('setsid', [process.execPath, tea, '__runner', tea, 'n0nce', '2', dir], { stdio: ['ignore', 'ignore', 'inherit', 'pipe', 'pipe', 'inherit'] });
  const waiting = new Map(); let buf = '';
  runner.stdio[4].on('data', (c) => { buf += c; for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) { const l = buf.slice(0, nl); buf = buf.slice(nl + 1); if (l.startsWith('{')) { const r = JSON.parse(l); waiting.get(r.id)(r); } } });
  let id = 0;
  const one = (i) => new Promise((res) => { const me = ++id; waiting.set(me, res); runner.stdio[3].write(JSON.stringify({ t: 'run', id: me, argv: argv(i), flowDir: `${dir}/f-${round}-${me}`, input: 'e30=', env: {}, maxResultBytes: 1 << 20, cleanup: true }) + '\n'); });
  await one(0);
  const k1 = kids();
  const wallW = await pool(one);
  runner.stdio[3].end(); await new Promise((r) => runner.on('exit', r));
  const cpuW = (kids() - k1) / N; // setsid exec's node: the runner is our child
  for (let i = 0; i < N; i += 1) {
    const out = JSON.parse(readFileSync(`${dir}/o-${i}.json`, 'utf8'));
    if (out.out !== 42 || out.b !== 1) throw new Error(`branch ${i}: wrong result ${JSON.stringify(out)}`);
  }
  console.log(`round ${round}: processes (own sessions) wall ${wallP.toFixed(0)} ms, ${cpuP.toFixed(0)} ms CPU/branch | warm runner (one session) wall ${wallW.toFixed(0)} ms, ~${cpuW.toFixed(0)} ms CPU/branch (incl. its start)`);
}
rmSync(dir, { recursive: true, force: true });
