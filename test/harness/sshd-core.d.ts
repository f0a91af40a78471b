// Types for sshd-core.js (plain CommonJS so scripts/local-hosts.mjs runs without a compile).

/**
 * The sftp subsystem a host offers: `internal` (internal-sftp, the default), `external`
 * (Debian's stock `Subsystem sftp /usr/lib/openssh/sftp-server`, started through the login
 * shell), `none` (no Subsystem line), `stalled` (accepts the channel, never answers).
 */
export type SftpMode = 'internal' | 'external' | 'none' | 'stalled';

/** OpenSSH's sshd, or Dropbear (Debian's dropbear-bin, as on routers and small devices). */
export type ServerKind = 'openssh' | 'dropbear';

export interface StartOptions {
  count: number;
  /** Directory for keys, configs, logs and state.json; a fresh temp dir when omitted. */
  dir?: string;
  /** Extra sshd_config options for every host (object) or per host index (array). */
  sshdOptions?: Record<string, string> | Array<Record<string, string> | undefined>;
  /** Server for every host, or per host index (undefined: openssh). Dropbear needs root. */
  server?: ServerKind | Array<ServerKind | undefined>;
  /** sftp subsystem for every host, or per host index (undefined: internal). */
  sftp?: SftpMode | Array<SftpMode | undefined>;
  /** sshd MaxSessions for every host, or per host index (undefined: OpenSSH's default, 10). */
  maxSessions?: number | Array<number | undefined>;
  /** Host indexes whose authorized_keys holds a different key, so the client key is refused. */
  wrongKeyOn?: number[];
  /** Stop the hosts when this pid is gone (survives a SIGKILLed jest worker). */
  watchParent?: number;
  /**
   * Login user (default: the current user). Another user needs root (sshd switches to it);
   * the benchmarks use one whose login shell reads no rc files.
   */
  user?: string;
  /** Log in a harness account with this login shell (users.js SHELLS; needs root). */
  loginShell?: string;
  /** Text the login user's rc file prints (a separate account per text; needs root). */
  rcOutput?: string;
  /** Do not stop the hosts when this process exits (the CLI's `start`). */
  keepRunning?: boolean;
}

export interface HostState {
  index: number;
  name: string;
  port: number;
  dir: string;
  /** Listener pid; 0 while killed. */
  pid: number;
  options: Record<string, string>;
  sftp: SftpMode;
  server: ServerKind;
  /** sshd_config (openssh) or the launch command for reference (dropbear). */
  configPath: string;
  logPath: string;
  pidPath: string;
  hostKeyPath: string;
  authorizedKeysPath: string;
  /** "ssh-ed25519 AAAA..." of the key sshd currently serves. */
  hostPublicKey: string;
}

export interface ClusterState {
  dir: string;
  user: string;
  clientKeyPath: string;
  knownHostsPath: string;
  watchdogPid: number;
  hosts: HostState[];
}

export interface HostDescription {
  name: string;
  host: string;
  port: number;
  user: string;
  sshlogin: string;
  hostPublicKey: string;
  logPath: string;
  pid: number;
  configPath: string;
  server: ServerKind;
  sftp: SftpMode;
}

export declare class LocalSshdCluster {
  readonly state: ClusterState;
  readonly dir: string;
  readonly hosts: HostState[];
  static start(opts: StartOptions): Promise<LocalSshdCluster>;
  static fromDir(dir: string): LocalSshdCluster;
  /** Throws for an index the cluster does not have. */
  host(i: number): HostState;
  describe(): { backend: 'local'; dir: string; clientKeyPath: string; knownHostsPath: string; loginShell: string; hosts: HostDescription[] };
  pause(i: number): void;
  resume(i: number): void;
  kill(i: number): Promise<void>;
  restart(i: number, opts?: { newHostKey?: boolean }): Promise<void>;
  readLog(i: number): string;
  countConnections(i: number): number;
  stop(): Promise<void>;
}

/** pid and its live descendants, parents first. */
export declare function processTree(pid: number): number[];
export declare function isAlive(pid: number): boolean;
/** A loopback port nothing listens on (handed out by the kernel, then closed). */
export declare function freePort(): Promise<number>;
/** Matches one successful key login in an sshd or dropbear log (global: use with match()). */
export declare const LOGIN_LINE: RegExp;
