#!/usr/bin/env node
// `npm run demo`: starts three SSH hosts on loopback, points examples/remote-fanout.yaml at
// them and runs it with the built `tea` (strategy: remote, pure-Node ssh2), then stops them.
// The hosts are OpenSSH sshd processes when sshd is installed (TEA_SSHD, default
// /usr/sbin/sshd), otherwise embedded SSH hosts written on ssh2's Server inside this
// process (test/harness/embedded-sshd.js): either way every branch really goes over SSH.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const root = fileURLToPath(new URL('..', import.meta.url));
const SSHD = process.env.TEA_SSHD ?? '/usr/sbin/sshd';

const YAML = require('yaml');
const dir = mkdtempSync(join(tmpdir(), 'tea-demo-'));
// As root the OpenSSH hosts log in a dedicated user, who must be able to reach the hosts'
// files below this directory; the remote workdir is one that user can create.
chmodSync(dir, 0o755);
const jobs = join(tmpdir(), `tea-demo-jobs-${randomBytes(6).toString('hex')}`);

/** Starts the hosts: OpenSSH when installed, else the embedded ssh2 hosts. */
async function startHosts() {
  if (existsSync(SSHD)) {
    const { LocalSshdCluster } = require('../test/harness/sshd-core.js');
    const cluster = await LocalSshdCluster.start({ count: 3, dir: join(dir, 'hosts') });
    return { cluster, kind: `OpenSSH hosts (${SSHD})`, logins: 'from the sshd logs' };
  }
  const { EmbeddedSshCluster } = require('../test/harness/embedded-sshd.js');
  const cluster = await EmbeddedSshCluster.start({ count: 3, dir: join(dir, 'hosts') });
  return {
    cluster,
    kind: `embedded SSH hosts (ssh2 Server in this process, logging in as the current user; no OpenSSH sshd at ${SSHD})`,
    logins: 'counted by the embedded hosts',
  };
}

function runTea(args) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(root, 'dist/tea'), ...args], { stdio: 'inherit' });
    child.on('error', (err) => { console.error(`demo: cannot start tea: ${err.message}`); resolve(1); });
    child.on('close', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

let started;
try {
  started = await startHosts();
  const hosts = started.cluster.describe();
  console.log(`demo: started ${hosts.hosts.length} ${started.kind}: ${hosts.hosts.map((h) => h.sshlogin).join(', ')}`);

  const doc = YAML.parseDocument(readFileSync(join(root, 'examples/remote-fanout.yaml'), 'utf8'));
  doc.setIn(['settings', 'parallel', 'remote', 'hosts'], hosts.hosts.map((h) => h.sshlogin));
  doc.setIn(['settings', 'parallel', 'remote', 'identity_file'], hosts.clientKeyPath);
  doc.setIn(['settings', 'parallel', 'remote', 'known_hosts'], hosts.knownHostsPath);
  doc.setIn(['settings', 'parallel', 'remote', 'workdir'], jobs);
  const workflow = join(dir, 'remote-fanout.yaml');
  writeFileSync(workflow, String(doc));

  console.log(`demo: tea run ${workflow}\n`);
  // Asynchronous: embedded hosts are served by this process's event loop.
  process.exitCode = await runTea(['run', workflow, ...process.argv.slice(2)]);
  const logins = hosts.hosts.map((_, i) => started.cluster.countConnections(i));
  console.log(`\ndemo: SSH logins per host during the run (${started.logins}): ${logins.join(', ')} (one multiplexed connection per host)`);
} catch (err) {
  console.error(`demo: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 2;
} finally {
  await started?.cluster.stop();
  rmSync(dir, { recursive: true, force: true });
  rmSync(jobs, { recursive: true, force: true });
}
