#!/usr/bin/env node
// Wall time of one remote fan-out run two ways on the same local sshd hosts: the
// pure-Node ssh2 path and the GNU Parallel plan (gnu_parallel: run). Each way gets a
// fresh executor, so each pays its own setup (ssh2: one connection per host and the
// basefile upload once; GNU Parallel: its per-job ssh logins and rsync transfers).
//
//   npm run build && node bench/gnu-parallel-vs-ssh2.mjs [--flows 24] [--hosts 2] [--slots 4] [--rounds 3]
//
// Prints one JSON line per run (with the SSH logins the hosts' sshd logs counted) and a
// median per method. Needs sshd, GNU Parallel, rsync.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { LocalSshdCluster } = require('../test/harness/sshd-core.js');
const { RemoteStrategyExecutor } = require('../dist/lib/executors/remote.js');
const { parseParallelConfig } = require('../dist/lib/config/parallel.js');

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? fallback : Number(process.argv[i + 1]);
};
const FLOWS = arg('flows', 24);
const HOSTS = arg('hosts', 2);
const SLOTS = arg('slots', 4);
const ROUNDS = arg('rounds', 3);

const WORKFLOW = `
nodes:
  - name: start
  - name: work
    run: |
      return { doubled: state.n * 2 };
  - name: join
edges:
  - { from: start, to: [work], type: parallel, fan_in: join }
  - { from: work, to: join }
`;

const cluster = await LocalSshdCluster.start({ count: HOSTS });
const silent = { debug() {}, info() {}, warn: (m) => process.stderr.write(`warn: ${m}\n`), error() {} };
try {
  const d = cluster.describe();
  const remote = (mode) => ({
    hosts: d.hosts.map((h) => `${SLOTS}/${h.sshlogin}`),
    identity_file: d.clientKeyPath,
    known_hosts: d.knownHostsPath,
    strict_host_key_checking: 'yes',
    workdir: `/tmp/tea-bench-${process.pid}`,
    gnu_parallel: mode,
  });
  const flows = Array.from({ length: FLOWS }, (_, n) => ({ entryPoint: 'work', exitPoint: 'join', state: { n } }));
  const times = { ssh2: [], 'gnu-parallel': [] };
  for (let round = 0; round < ROUNDS; round += 1) {
    for (const mode of ['off', 'run']) {
      const method = mode === 'off' ? 'ssh2' : 'gnu-parallel';
      const executor = new RemoteStrategyExecutor({ workflowText: WORKFLOW, logger: silent, events: () => {} });
      const logins = () => d.hosts.reduce((sum, _, i) => sum + cluster.countConnections(i), 0);
      const before = logins();
      const started = Date.now();
      const results = await executor.execute(flows, parseParallelConfig({ strategy: 'remote', retry: { max_retries: 0 }, remote: remote(mode) }));
      await executor.close();
      const ms = Date.now() - started;
      const sshLogins = logins() - before;
      const failed = results.filter((r) => !r.success).length;
      times[method].push(ms);
      process.stdout.write(`${JSON.stringify({ round, method, flows: FLOWS, hosts: HOSTS, slots: SLOTS, ms, sshLogins, failed })}\n`);
    }
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  for (const [method, xs] of Object.entries(times)) {
    process.stdout.write(`${method}: median ${median(xs)} ms for ${FLOWS} flows (${(median(xs) / FLOWS).toFixed(0)} ms/flow)\n`);
  }
} finally {
  await cluster.stop();
}
