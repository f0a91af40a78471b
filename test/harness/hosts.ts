/**
 * The ONE entry point integration and e2e tests use to get real SSH hosts.
 *
 * Backends: `local` (sshd processes on this machine, see local-sshd.ts) and `docker`
 * (the containers docker/up.sh started, see docker-hosts.ts). TEA_TEST_HOSTS picks one;
 * without it, local when sshd is installed, else docker when its hosts are up. When
 * neither can be had this throws a loud, actionable error: tests never skip silently.
 */
import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { homedir, tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { dockerHostsAvailable, startDockerHosts } from './docker-hosts';
import { makeRemoteConfig, runShell, uniqueWorkdir } from './fixture-util';
import { startLocalSshd } from './local-sshd';
import type { ServerKind, SftpMode } from './sshd-core';
import { ensureAttacker, NOLOGIN_SHELLS, SHELLS } from './users';

export interface TestHost {
  name: string;
  host: string;
  port: number;
  user: string;
  /** `${user}@${host}:${port}`, GNU Parallel's sshlogin form. */
  sshlogin: string;
  /** "ssh-ed25519 AAAA..." the host serves now (after restart({ newHostKey }) the new one). */
  hostPublicKey: string;
  logPath: string;
  /** The server and sftp mode the host runs. */
  server?: ServerKind;
  sftp?: SftpMode;
}

export interface HostsFixture {
  backend: 'local' | 'docker';
  hosts: TestHost[];
  /** Unencrypted ed25519 private key accepted by every host. */
  clientKeyPath: string;
  /** known_hosts with `[host]:port key` for every host, as of fixture start. */
  knownHostsPath: string;
  /** Raw (unparsed) settings.parallel.remote object for these hosts; overrides merged shallowly. */
  remoteConfig(overrides?: Record<string, unknown>): Record<string, unknown>;
  /** Run a shell command ON the host as its login user. */
  exec(index: number, command: string): Promise<{ stdout: string; stderr: string; code: number }>;
  /** The host's sshd log since this fixture started. */
  readLog(index: number): string;
  /** "Accepted publickey" logins since this fixture started. */
  countConnections(index: number): number;
  stop(): Promise<void>;
}

export interface LocalHostsFixture extends HostsFixture {
  /** The login user's shell, as in /etc/passwd (e.g. /usr/bin/fish). */
  loginShell: string;
  /** Present when started with `attacker: true`. */
  attacker?: Attacker;
  /** SIGSTOP the host's sshd and its sessions: connects and open connections hang. */
  pause(i: number): void;
  resume(i: number): void;
  /** SIGKILL the host's sshd and its sessions: nothing listens on the port afterwards. */
  kill(i: number): Promise<void>;
  /** Start again on the same port. With newHostKey, known_hosts keeps the OLD key. */
  restart(i: number, o?: { newHostKey?: boolean }): Promise<void>;
}

export const SSHD_PATH = process.env.TEA_SSHD ?? '/usr/sbin/sshd';

/** A shell that runs the bootstrap (SHELLS), or one that runs nothing (NOLOGIN_SHELLS). */
export type LoginShell = keyof typeof SHELLS | keyof typeof NOLOGIN_SHELLS;

export interface LocalHostsOptions {
  count: number;
  sshdOptions?: Record<string, string> | Array<Record<string, string>>;
  wrongKeyOn?: number[];
  /**
   * The login user's shell (as root; Debian's packages): the hosts log in a harness account
   * `tea-<shell>` with that shell, created when missing (users.js). Default: `tea-test`, /bin/sh.
   */
  loginShell?: LoginShell;
  /**
   * Text the login user's rc file prints on stdout (bash ~/.bashrc, zsh ~/.zshenv, fish
   * config.fish, tcsh ~/.tcshrc; dash/ash/sh read none for exec). A separate account per text.
   */
  rcOutput?: string;
  /**
   * openssh (default) or dropbear, for every host or per index. Dropbear hosts take sftp
   * external (default: /usr/lib/sftp-server), none or stalled; no sshdOptions/maxSessions.
   */
  server?: ServerKind | Array<ServerKind | undefined>;
  /** sftp subsystem, for every host or per index: internal (default), external, none, stalled. */
  sftp?: SftpMode | Array<SftpMode | undefined>;
  /** sshd MaxSessions, for every host or per index (e.g. 1: an open SFTP channel leaves no exec). */
  maxSessions?: number | Array<number | undefined>;
  /** Also set up the second local user (fx.attacker) and a directory both users can write. */
  attacker?: boolean;
}

/** The second local account on the hosts' machine (issue 14's planted files and symlinks). */
export interface Attacker {
  user: string;
  uid: number;
  gid: number;
  /** A fresh directory per fixture, mode 0777 (no sticky bit): both users create, rename and replace entries. */
  sharedDir: string;
  /** Runs `/bin/sh -c command` as the attacker (cwd sharedDir). */
  exec(command: string): Promise<{ stdout: string; stderr: string; code: number }>;
}

export async function startLocalHosts(opts: LocalHostsOptions): Promise<LocalHostsFixture> {
  const { attacker: wantAttacker, ...sshdOpts } = opts;
  const attacker = wantAttacker ? makeAttacker() : undefined;
  let cluster;
  try {
    cluster = await startLocalSshd(sshdOpts);
  } catch (err) {
    if (attacker) rmSync(attacker.sharedDir, { recursive: true, force: true });
    throw err;
  }
  const d = cluster.describe();
  const hosts: TestHost[] = d.hosts.map(({ name, host, port, user, sshlogin, hostPublicKey, logPath, server, sftp }) => ({
    name, host, port, user, sshlogin, hostPublicKey, logPath, server, sftp,
  }));
  const workdir = uniqueWorkdir();
  const fx: LocalHostsFixture = {
    backend: 'local',
    hosts,
    clientKeyPath: d.clientKeyPath,
    knownHostsPath: d.knownHostsPath,
    loginShell: d.loginShell,
    ...(attacker ? { attacker } : {}),
    remoteConfig: (overrides) => makeRemoteConfig(fx, workdir, overrides),
    exec: (i, command) => {
      cluster.host(i); // throws for a bad index
      const user = d.hosts[0]!.user;
      // As root the hosts log in a dedicated user (sshd-core.js loginUser): run as that user too.
      if (user !== userInfo().username) return runShell('runuser', ['-u', user, '--', '/bin/sh', '-c', command], '/');
      return runShell('/bin/sh', ['-c', command], homedir());
    },
    readLog: (i) => cluster.readLog(i),
    countConnections: (i) => cluster.countConnections(i),
    pause: (i) => cluster.pause(i),
    resume: (i) => cluster.resume(i),
    kill: (i) => cluster.kill(i),
    restart: async (i, o) => {
      await cluster.restart(i, o);
      (hosts[i] as TestHost).hostPublicKey = cluster.hosts[i]!.hostPublicKey;
    },
    stop: async () => {
      await cluster.stop();
      rmSync(workdir, { recursive: true, force: true });
      if (attacker) rmSync(attacker.sharedDir, { recursive: true, force: true });
      if (process.env.TEA_KEEP_HOSTS !== '1') rmSync(cluster.dir, { recursive: true, force: true });
    },
  };
  return fx;
}

function makeAttacker(): Attacker {
  const a = ensureAttacker();
  const sharedDir = mkdtempSync(join(tmpdir(), 'tea-shared-'));
  chmodSync(sharedDir, 0o777);
  return {
    user: a.name,
    uid: a.uid,
    gid: a.gid,
    sharedDir,
    exec: (command) => runShell('runuser', ['-u', a.name, '--', '/bin/sh', '-c', command], sharedDir),
  };
}

export async function getHosts(opts: { count?: number } = {}): Promise<HostsFixture> {
  const count = opts.count ?? 3;
  const wanted = process.env.TEA_TEST_HOSTS;
  if (wanted === 'local') return startLocalHosts({ count });
  if (wanted === 'docker') return startDockerHosts({ count });
  if (wanted !== undefined && wanted !== '') {
    throw new Error(`TEA_TEST_HOSTS must be "local" or "docker" (got "${wanted}")`);
  }
  if (existsSync(SSHD_PATH)) return startLocalHosts({ count });
  if (dockerHostsAvailable()) return startDockerHosts({ count });
  throw new Error(
    `No SSH test hosts available: ${SSHD_PATH} is missing and the docker hosts are not up.\n` +
      '  local backend:  apt-get install -y openssh-server   (sshd is started by the tests themselves)\n' +
      '  docker backend: docker/start-dockerd.sh && docker/make-base-image.sh && docker/up.sh, then TEA_TEST_HOSTS=docker',
  );
}
