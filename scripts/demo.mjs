#!/usr/bin/env node
// `npm run demo`: starts three real OpenSSH hosts on loopback, points
// examples/remote-fanout.yaml at them and runs it with the built `tea`
// (strategy: remote, pure-Node ssh2), then stops the hosts.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
const root = new URL('..', import.meta.url).pathname;
const SSHD = process.env.TEA_SSHD ?? '/usr/sbin/sshd';

if (!existsSync(SSHD)) {
  console.error(`demo: OpenSSH's sshd is not installed (${SSHD}); the demo starts local sshd processes as its hosts.`);
  console.error('demo: install it (Debian/Ubuntu: sudo apt-get install openssh-server; the system service need not run), then rerun npm run demo.');
  process.exit(2);
}

const YAML = require('yaml');
const { LocalSshdCluster } = require('../test/harness/sshd-core.js');
const dir = mkdtempSync(join(tmpdir(), 'tea-demo-'));
// As root the hosts log in a dedicated user, who must be able to reach the hosts' files below
// this directory; the remote workdir is one that user can create.
chmodSync(dir, 0o755);
const jobs = join(tmpdir(), `tea-demo-jobs-${randomBytes(6).toString('hex')}`);
let cluster;
try {
  cluster = await LocalSshdCluster.start({ count: 3, dir: join(dir, 'hosts') });
  const hosts = cluster.describe();
  console.log(`demo: started ${hosts.hosts.length} OpenSSH hosts: ${hosts.hosts.map((h) => h.sshlogin).join(', ')}`);

  const doc = YAML.parseDocument(readFileSync(join(root, 'examples/remote-fanout.yaml'), 'utf8'));
  doc.setIn(['settings', 'parallel', 'remote', 'hosts'], hosts.hosts.map((h) => h.sshlogin));
  doc.setIn(['settings', 'parallel', 'remote', 'identity_file'], hosts.clientKeyPath);
  doc.setIn(['settings', 'parallel', 'remote', 'known_hosts'], hosts.knownHostsPath);
  doc.setIn(['settings', 'parallel', 'remote', 'workdir'], jobs);
  const workflow = join(dir, 'remote-fanout.yaml');
  writeFileSync(workflow, String(doc));

  console.log(`demo: tea run ${workflow}\n`);
  const run = spawnSync(process.execPath, [join(root, 'dist/tea'), 'run', workflow, ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exitCode = run.status ?? 1;
  const logins = hosts.hosts.map((_, i) => cluster.countConnections(i));
  console.log(`\ndemo: SSH logins per host during the run (from the sshd logs): ${logins.join(', ')} (one multiplexed connection per host)`);
} finally {
  await cluster?.stop();
  rmSync(dir, { recursive: true, force: true });
  rmSync(jobs, { recursive: true, force: true });
}
