/**
 * ssh2 helpers for tests that talk to fixture hosts the way the remote executor must:
 * host key checked against the fixture's known_hosts (ssh2 itself accepts any key).
 */
import { readFileSync } from 'node:fs';
import { Client, type ClientChannel, type SFTPWrapper } from 'ssh2';
import type { HostsFixture } from './hosts';

/** Raw key blobs listed for `[host]:port` (or bare `host` on port 22) in a known_hosts file. */
export function knownHostKeys(knownHostsPath: string, host: string, port: number): Buffer[] {
  const names = port === 22 ? [host, `[${host}]:22`] : [`[${host}]:${port}`];
  return readFileSync(knownHostsPath, 'utf8')
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter(([hostField, , blob]) => hostField && blob && hostField.split(',').some((h) => names.includes(h)))
    .map(([, , blob]) => Buffer.from(blob as string, 'base64'));
}

export interface ConnectOptions {
  readyTimeout?: number;
  privateKey?: Buffer | string;
  /** An ssh-agent socket to authenticate with instead of a private key. */
  agent?: string;
  /** Defaults to the fixture's known_hosts. */
  knownHostsPath?: string;
}

/** Opens an authenticated connection to host `i`; rejects on timeout, refusal, bad host key or auth. */
export function connectHost(fx: HostsFixture, i: number, opts: ConnectOptions = {}): Promise<Client> {
  const h = fx.hosts[i];
  if (!h) throw new Error(`no host ${i}`);
  const allowed = knownHostKeys(opts.knownHostsPath ?? fx.knownHostsPath, h.host, h.port);
  const client = new Client();
  return new Promise((resolve, reject) => {
    let settled = false;
    // A permanent listener: ssh2 crashes the process on an 'error' nobody listens to.
    client.on('error', (err) => {
      if (!settled) reject(err);
      settled = true;
    });
    client.on('ready', () => {
      settled = true;
      resolve(client);
    });
    client.connect({
      host: h.host,
      port: h.port,
      username: h.user,
      ...(opts.agent === undefined ? { privateKey: opts.privateKey ?? readFileSync(fx.clientKeyPath) } : { agent: opts.agent }),
      readyTimeout: opts.readyTimeout ?? 10_000,
      hostVerifier: (key: Buffer) => allowed.some((k) => k.equals(key)),
    });
  });
}

export interface ExecResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command on an open connection; `env` needs the host's AcceptEnv (TEA_* here). */
export function execOn(client: Client, command: string, env?: Record<string, string>): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    client.exec(command, env === undefined ? {} : { env }, (err: Error | undefined, ch: ClientChannel) => {
      if (err) return reject(err);
      let stdout = '';
      let stderr = '';
      ch.on('data', (d: Buffer) => (stdout += d.toString()));
      ch.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      ch.on('close', (code: number | null) => resolve({ code, stdout, stderr }));
    });
  });
}

export function openSftp(client: Client): Promise<SFTPWrapper> {
  return new Promise((resolve, reject) => client.sftp((err, sftp) => (err ? reject(err) : resolve(sftp))));
}

export function sftpWrite(sftp: SFTPWrapper, path: string, data: string): Promise<void> {
  return new Promise((resolve, reject) => sftp.writeFile(path, data, (err) => (err ? reject(err) : resolve())));
}

export function sftpRead(sftp: SFTPWrapper, path: string): Promise<string> {
  return new Promise((resolve, reject) => sftp.readFile(path, (err, buf) => (err ? reject(err) : resolve(buf.toString()))));
}
