/** Types for embedded-sshd.js (plain CommonJS so that scripts load it with bare node). */

export interface EmbeddedHostOptions {
  /** OpenSSH-format private host key. */
  hostKey: string;
  /** "ssh-ed25519 AAAA..." keys allowed to log in as the current user. */
  authorizedKeys: string[];
  /** sshd's AcceptEnv: name patterns (`*`, `?`) whose env requests are accepted. Default none. */
  acceptEnv?: string[];
  /** sshd's MaxSessions: session channels per connection. Default 10. */
  maxSessions?: number;
  /**
   * The login shell commands run through (`<shell> -c <command>`); default the current
   * user's (passwd). '/bin/sh' keeps the user's rc files out, like the OpenSSH harness's
   * tea-test user.
   */
  shell?: string;
  /** Loopback port; default one the kernel picks. */
  port?: number;
  /**
   * Misbehave, for tests of the client's deadlines (keepalives are still answered):
   * `session` never answers a session channel open, `exec` never answers an exec request,
   * `close` never sends CHANNEL_CLOSE (not even after a command exits), `window` accepts an
   * exec but never reads its stdin (the channel's window closes for good once its buffer is full, ~4 MiB).
   */
  stall?: 'session' | 'exec' | 'close' | 'window';
  /** Appends sshd-like log lines ("Accepted publickey for ...") here. */
  logPath?: string;
}

export interface EmbeddedHost {
  port: number;
  /** The login user: the user running this process. */
  user: string;
  /** Successful public-key logins so far. */
  logins(): number;
  log(): string;
  /** Closes the listener and connections and SIGKILLs every command still running. */
  stop(): Promise<void>;
}

export function startEmbeddedHost(opts: EmbeddedHostOptions): Promise<EmbeddedHost>;
export function generateKey(comment: string): { privateKey: string; publicKey: string };

export interface EmbeddedClusterOptions {
  count: number;
  /** Where keys, known_hosts and logs go; default a new temp dir. */
  dir?: string;
  acceptEnv?: string[];
  maxSessions?: number;
  shell?: string;
  stall?: EmbeddedHostOptions['stall'];
}

export interface EmbeddedClusterDescription {
  backend: 'embedded';
  dir: string;
  clientKeyPath: string;
  knownHostsPath: string;
  hosts: Array<{ name: string; host: string; port: number; user: string; sshlogin: string; hostPublicKey: string; logPath: string }>;
}

export class EmbeddedSshCluster {
  static start(opts: EmbeddedClusterOptions): Promise<EmbeddedSshCluster>;
  readonly dir: string;
  readonly clientKeyPath: string;
  readonly knownHostsPath: string;
  describe(): EmbeddedClusterDescription;
  countConnections(i: number): number;
  readLog(i: number): string;
  stop(o?: { rm?: boolean }): Promise<void>;
}
