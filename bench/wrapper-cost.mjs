// What the remote command's watchdog wrapper (src/remote/command/remote-command.ts) adds to one
// exec: the same program run bare (`cd dir && program`) and through buildFlowRequest() (the
// bootstrap command line, the wrapper and a 2-byte input on stdin, the flow directory made and removed),
// alternately, on one open ssh2 connection to a local OpenSSH sshd. The program is
// /bin/true, so the figures are the exec round trip and the wrapper alone.
// Build first (npm run build: dist/lib). Usage: node bench/wrapper-cost.mjs [execs=300]
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
const { Client } = require('ssh2');
const { LocalSshdCluster } = require('../test/harness/sshd-core.js');
const { buildFlowRequest } = require('../dist/lib/remote/command/remote-command.js');

const execs = Number(process.argv[2] ?? 300);
const dir = mkdtempSync(join(tmpdir(), 'tea-wrapper-cost-'));
const cluster = await LocalSshdCluster.start({ count: 1, dir, watchParent: process.pid });
const host = cluster.describe().hosts[0];
let n = 0;
const wrapped = () => buildFlowRequest({ tea: '/bin/true', workflow: 'w.yaml', flowDir: `/tmp/tea-wrapper-cost-${process.pid}-${(n += 1)}`, entryPoint: 'a', exitPoint: 'b', killGraceSeconds: 5, input: Buffer.from('{}'), maxResultBytes: 1 << 20, cleanup: true });
const variants = {
  'bare: cd /tmp && /bin/true ...': () => ({ command: 'cd /tmp && /bin/true run w.yaml' }),
  'wrapped: buildFlowRequest()': wrapped,
};

const client = new Client();
await new Promise((resolve, reject) => {
  client.once('ready', resolve).once('error', reject);
  client.connect({ host: host.host, port: host.port, username: host.user, privateKey: readFileSync(cluster.describe().clientKeyPath) });
});
client.setNoDelay(true); // as tea-remote's connections: without it each exec waits ~40 ms on delayed ACKs
const exec = ({ command, stdin }) =>
  new Promise((resolve, reject) =>
    client.exec(command, (err, channel) => {
      if (err) return reject(err);
      // Not ended: the wrapper's watchdog reads the end of stdin as "the channel closed".
      if (stdin !== undefined) channel.write(stdin);
      let code = null;
      channel.on('exit', (c) => (code = c)).on('close', () => (code === 0 ? resolve() : reject(new Error(`exit ${code}: ${command}`))));
      channel.resume();
      channel.stderr.resume();
    }),
  );

const samples = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
for (let i = 0; i < execs; i += 1) {
  for (const [name, make] of Object.entries(variants)) {
    const request = make();
    const t = process.hrtime.bigint();
    await exec(request);
    samples[name].push(Number(process.hrtime.bigint() - t) / 1e6);
  }
}
client.end();
await cluster.stop();
rmSync(dir, { recursive: true, force: true });

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const [bare, wrappedMs] = Object.values(samples).map(median);
console.log(`${execs} execs each, alternating, ${new Date().toISOString().slice(0, 10)}, node ${process.version}, load ${os.loadavg()[0].toFixed(1)}, login user ${host.user}`);
console.table(Object.entries(samples).map(([name, xs]) => ({ command: name, 'median ms': median(xs).toFixed(2) })));
console.log(`the wrapper adds ${(wrappedMs - bare).toFixed(2)} ms per exec`);
