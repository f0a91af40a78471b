/**
 * The fixture's docker backend: the long-lived containers docker/up.sh started and
 * described in docker/.keys/hosts.json. Containers are shared by every test, so "since
 * this fixture started" (logs, connection counts) is a byte offset into each host's log
 * taken when the fixture is made, and each fixture gets its own remote workdir.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { Socket } from 'node:net';
import { resolve } from 'node:path';
import { makeRemoteConfig, runShell, uniqueWorkdir } from './fixture-util';
import type { HostsFixture, TestHost } from './hosts';
import { LOGIN_LINE } from './sshd-core';

export const DOCKER_HOSTS_FILE = process.env.TEA_DOCKER_HOSTS ?? resolve(__dirname, '../../docker/.keys/hosts.json');

/** Size-limited tmpfs (2 MiB) on every docker host, for disk-full tests. */
export const DOCKER_SMALL_WORKDIR = '/srv/tea-small';

/** debian: OpenSSH on Debian (docker/Dockerfile); edge: Dropbear + BusyBox only (docker/edge.Dockerfile). */
export type DockerHostKind = 'debian' | 'edge';

interface DockerHostEntry extends Omit<TestHost, 'sshlogin'> {
  container: string;
  /** Whether the host has Node (Debian's, 18). */
  node: boolean;
  /** Absent in a hosts.json from before the edge hosts: debian. */
  kind?: DockerHostKind;
}
interface DockerHostsFile {
  backend: 'docker';
  clientKeyPath: string;
  knownHostsPath: string;
  hosts: DockerHostEntry[];
}

const HOW_TO_START =
  'start them with: docker/start-dockerd.sh && docker/make-base-image.sh && docker/up.sh';

/** True when up.sh has written hosts.json (i.e. the hosts came up and were not taken down). */
export function dockerHostsAvailable(): boolean {
  return existsSync(DOCKER_HOSTS_FILE);
}

/** Waits for the SSH banner: proves sshd (not just docker-proxy) answers on the port. */
function probeBanner(host: string, port: number, timeoutMs = 5000): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const sock = new Socket();
    const fail = (why: string) => {
      sock.destroy();
      reject(new Error(`docker test host ${host}:${port} is not answering (${why}); ${HOW_TO_START}`));
    };
    sock.setTimeout(timeoutMs, () => fail('timeout'));
    sock.once('error', (e) => fail(e.message));
    sock.once('data', (d) => {
      sock.destroy();
      if (d.toString().startsWith('SSH-')) resolvePromise();
      else fail(`unexpected banner ${JSON.stringify(d.toString().slice(0, 40))}`);
    });
    sock.connect(port, host);
  });
}

function logSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/**
 * @param node  true (default for debian): hosts with Node, for running tea remotely;
 *              false: hosts without Node (the `bare` container; every edge host).
 * @param kind  debian (default) or edge: the BusyBox + Dropbear devices (`tea-edge` without
 *              an sftp-server, then `tea-edge-sftp` with one; `sftp` selects one of them).
 */
export async function startDockerHosts(opts: { count: number; node?: boolean; kind?: DockerHostKind; sftp?: 'none' | 'external' }): Promise<HostsFixture> {
  if (!dockerHostsAvailable()) throw new Error(`docker test hosts are not up (no ${DOCKER_HOSTS_FILE}); ${HOW_TO_START}`);
  const file = JSON.parse(readFileSync(DOCKER_HOSTS_FILE, 'utf8')) as DockerHostsFile;
  const kind = opts.kind ?? 'debian';
  const wantNode = opts.node ?? kind === 'debian';
  const entries = file.hosts
    .filter((h) => (h.kind ?? 'debian') === kind && h.node === wantNode && (opts.sftp === undefined || h.sftp === opts.sftp))
    .slice(0, opts.count);
  if (entries.length < opts.count) {
    const what = `kind=${kind} node=${wantNode}${opts.sftp ? ` sftp=${opts.sftp}` : ''}`;
    throw new Error(`asked for ${opts.count} docker hosts with ${what}, ${DOCKER_HOSTS_FILE} has ${entries.length} (an old one? run docker/up.sh again)`);
  }
  await Promise.all(entries.map((h) => probeBanner(h.host, h.port)));
  // After the probes, so their "Connection from" lines are not this fixture's.
  const offsets = entries.map((h) => logSize(h.logPath));
  const hosts: TestHost[] = entries.map(({ name, host, port, user, hostPublicKey, logPath, server, sftp }) => ({
    name, host, port, user, hostPublicKey, logPath, sshlogin: `${user}@${host}:${port}`, server: server ?? 'openssh', sftp: sftp ?? 'internal',
  }));
  const workdir = uniqueWorkdir();
  const entry = (i: number): DockerHostEntry => {
    const e = entries[i];
    if (!e) throw new Error(`no host ${i}: this fixture has ${entries.length}`);
    return e;
  };
  const readLog = (i: number): string => readFileSync(entry(i).logPath).subarray(offsets[i]).toString('utf8');
  const fx: HostsFixture = {
    backend: 'docker',
    hosts,
    clientKeyPath: file.clientKeyPath,
    knownHostsPath: file.knownHostsPath,
    remoteConfig: (overrides) => makeRemoteConfig(fx, workdir, overrides),
    exec: (i, command) => {
      const e = entry(i);
      return runShell('docker', ['exec', '-u', e.user, '-w', `/home/${e.user}`, e.container, 'sh', '-c', command]);
    },
    readLog,
    countConnections: (i) => (readLog(i).match(LOGIN_LINE) ?? []).length,
    stop: async () => {
      // The containers outlive the fixture (down.sh removes them); only our files go.
      for (const e of entries) {
        execFileSync('docker', ['exec', '-u', e.user, e.container, 'rm', '-rf', workdir], { stdio: 'ignore' });
      }
    },
  };
  return fx;
}
