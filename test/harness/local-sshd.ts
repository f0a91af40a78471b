/**
 * Real OpenSSH sshd processes on loopback for tests: the TypeScript face of
 * sshd-core.js (shared with scripts/local-hosts.mjs, which must run without a compile).
 *
 * Hosts started here die with the test process: an 'exit' hook for ordinary exits and a
 * detached watchdog for a worker that is SIGKILLed (jest's crash and timeout path).
 */
import { LocalSshdCluster, type HostState, type StartOptions } from './sshd-core';

export type { HostState };
export { LocalSshdCluster };

export type LocalSshdOptions = Omit<StartOptions, 'watchParent' | 'keepRunning'>;

export async function startLocalSshd(opts: LocalSshdOptions): Promise<LocalSshdCluster> {
  return LocalSshdCluster.start({ ...opts, watchParent: process.pid });
}
