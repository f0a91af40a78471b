// Small pieces both fixture backends share (kept apart from hosts.ts to avoid an import cycle).
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { HostsFixture } from './hosts';

/** A remote workdir no other fixture (or jest worker) uses. */
export function uniqueWorkdir(): string {
  return `/tmp/tea-it-${randomBytes(6).toString('hex')}`;
}

export function makeRemoteConfig(
  fx: Pick<HostsFixture, 'hosts' | 'clientKeyPath' | 'knownHostsPath'>,
  workdir: string,
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    hosts: fx.hosts.map((h) => h.sshlogin),
    identity_file: fx.clientKeyPath,
    known_hosts: fx.knownHostsPath,
    strict_host_key_checking: 'yes',
    workdir,
    ...overrides,
  };
}

/** Runs a program; a non-zero exit is data (`code`), not a rejection. */
export function runShell(file: string, args: string[], cwd?: string): Promise<{ stdout: string; stderr: string; code: number }> {
  return new Promise((resolve) => {
    execFile(file, args, { cwd, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ stdout, stderr: stderr || (err && typeof err.code !== 'number' ? err.message : ''), code });
    });
  });
}
