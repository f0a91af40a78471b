// What the preflight adds to a run, per host: the probe exec(s) on an open connection
// (the handshake is paid by the run anyway). Uses the built library (npm run build).
// Usage: node bench/preflight-cost.mjs <workflow.yaml> [runs=10]
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { loadWorkflowFile } = require('../dist/lib/index.js');
const { resolveHosts } = require('../dist/lib/remote/trust/hosts.js');
const { BasefileCatalog } = require('../dist/lib/remote/host/basefile.js');
const { ConnectionPool } = require('../dist/lib/remote/ssh/pool.js');
const { preflight } = require('../dist/lib/remote/host/preflight.js');

const [file, runsText = '10'] = process.argv.slice(2);
const workflow = await loadWorkflowFile(file);
const remote = workflow.parallel.remote;
const hosts = resolveHosts(remote);
const catalog = BasefileCatalog.forConfig(remote.basefile);
const pool = new ConnectionPool(hosts, remote, { debug() {}, info() {}, warn() {}, error() {} }, () => {});
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
for (const h of hosts) {
  const connection = pool.get(h.id);
  await connection.connect();
  const samples = [];
  let report;
  for (let i = 0; i < Number(runsText); i += 1) {
    const t = performance.now();
    report = await preflight(connection, { remote, catalog, workflowBytes: workflow.text.length, localVersion: '0', signal: AbortSignal.timeout(60_000) });
    samples.push(performance.now() - t);
  }
  console.log(`${h.id}: preflight on an open connection, median of ${runsText}: ${median(samples).toFixed(0)} ms (${report.status}; ${report.basefile?.kind ?? '-'})`);
}
await pool.close();
