import { readFileSync } from 'node:fs';
import { connect as tcp } from 'node:net';
import { Client } from 'ssh2';
import { LocalSshdCluster } from '../../test/harness/sshd-core';

export interface BenchHost {
  index: number;
  port: number;
  /** `user@127.0.0.1:port`, as tea's `hosts` and GNU Parallel write it (without slots). */
  sshlogin: string;
}

/**
 * Local OpenSSH hosts for the whole benchmark (the same sshd processes serve every
 * row), started with the test harness's sshd-core and stopped when the bench ends.
 */
export class BenchCluster {
  private constructor(
    readonly cluster: LocalSshdCluster,
    readonly user: string,
    readonly hosts: BenchHost[],
  ) {}

  static async start(count: number, dir: string, user: string): Promise<BenchCluster> {
    // MaxStartups stays at its default on purpose: see bench/README.md "Scale".
    const cluster = await LocalSshdCluster.start({ count, dir, user, watchParent: process.pid });
    const hosts = cluster.hosts.map((h) => ({ index: h.index, port: h.port, sshlogin: `${user}@127.0.0.1:${h.port}` }));
    return new BenchCluster(cluster, user, hosts);
  }

  get keyPath(): string {
    return this.cluster.state.clientKeyPath;
  }

  get knownHostsPath(): string {
    return this.cluster.state.knownHostsPath;
  }

  first(n: number): BenchHost[] {
    if (n > this.hosts.length) throw new Error(`asked for ${n} hosts, ${this.hosts.length} were started`);
    return this.hosts.slice(0, n);
  }

  /** Successful logins per host so far (sshd LogLevel VERBOSE "Accepted publickey"). */
  logins(hosts: readonly BenchHost[]): number[] {
    return hosts.map((h) => this.cluster.countConnections(h.index));
  }

  /** OpenSSH client options for these hosts: this key and known_hosts only, no config files, no prompts. */
  sshOptions(): string[] {
    return [
      '-F', 'none',
      '-i', this.keyPath,
      '-o', 'IdentitiesOnly=yes',
      '-o', `UserKnownHostsFile=${this.knownHostsPath}`,
      '-o', 'StrictHostKeyChecking=yes',
      '-o', 'BatchMode=yes',
    ];
  }

  async stop(): Promise<void> {
    await this.cluster.stop();
  }

  /** Runs a shell command on a host over one short ssh2 connection (setup and cleanup, never timed). */
  async exec(host: BenchHost, command: string): Promise<{ stdout: string; code: number | null }> {
    const client = await this.connect(host);
    try {
      return await execOn(client, command);
    } finally {
      client.end();
    }
  }

  connect(host: BenchHost): Promise<Client> {
    return new Promise((resolve, reject) => {
      const client = new Client();
      const sock = tcp({ host: '127.0.0.1', port: host.port });
      sock.setNoDelay(true);
      client.once('ready', () => resolve(client)).once('error', reject);
      client.connect({ sock, username: this.user, privateKey: readFileSync(this.keyPath) });
    });
  }
}

export function execOn(client: Client, command: string): Promise<{ stdout: string; code: number | null }> {
  return new Promise((resolve, reject) => {
    client.exec(command, (err, stream) => {
      if (err) return reject(err);
      let stdout = '';
      let code: number | null = null;
      stream.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
      stream.stderr.on('data', () => {});
      stream.on('exit', (c: number | null) => (code = c));
      stream.on('close', () => resolve({ stdout, code }));
    });
  });
}
