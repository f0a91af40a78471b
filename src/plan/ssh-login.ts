import { userInfo } from 'node:os';
import { DEFAULT_CONNECT_TIMEOUT_SECONDS, DEFAULT_KNOWN_HOSTS, DEFAULT_STRICT_HOST_KEY_CHECKING, type RemoteConfig } from '../config/remote';
import { hostLabel } from '../config/sshlogin';
import { TeaError } from '../errors';
import { expandHome } from '../util/paths';
import { quote } from '../remote/command/quote';

/** A host as GNU Parallel gets it. */
export interface PlanHost {
  /** `user@host:port`, the same name the ssh2 path gives the host. */
  id: string;
  host: string;
  port: number;
  user: string;
  slots: number;
  /** The host's own private key (absolute), when it has one; else the shared `identity_file` applies. */
  identityFile?: string;
}

/** What the `ssh` that GNU Parallel (and its rsync) runs is told, from settings.parallel.remote. */
export interface SshSettings {
  /** Absolute path. */
  knownHosts: string;
  /** GlobalKnownHostsFile; /dev/null when only `knownHosts` may vouch for a host (the run's pinned keys). */
  globalKnownHosts?: string;
  strictHostKeyChecking: 'yes' | 'accept-new' | 'no';
  /** Absolute path of the shared private key, if configured; ssh's defaults and agent otherwise. */
  identityFile?: string;
  connectTimeoutSeconds: number;
  keepaliveIntervalSeconds: number;
  keepaliveCountMax: number;
}

/** Hosts and ssh settings from the config, without reading keys (ssh reads them). */
export function planHosts(remote: RemoteConfig, prefix = 'settings.parallel.remote'): { hosts: PlanHost[]; ssh: SshSettings } {
  const localUser = userInfo().username;
  const seen = new Map<string, number>();
  const hosts = remote.hosts.map((entry, i): PlanHost => {
    const port = entry.port ?? 22;
    const user = entry.user ?? localUser;
    const id = hostLabel(entry.host, port, user);
    const previous = seen.get(id);
    if (previous !== undefined) {
      throw new TeaError('E_CONFIG_INVALID', `${prefix}.hosts[${i}]: ${id} is listed twice (also hosts[${previous}]); give it more slots instead`);
    }
    seen.set(id, i);
    const own = entry.identity_file === undefined ? undefined : sshSafe(expandHome(entry.identity_file), `${prefix}.hosts[${i}].identity_file`);
    return { id, host: entry.host, port, user, slots: entry.slots ?? remote.max_channels_per_host, ...(own === undefined ? {} : { identityFile: own }) };
  });
  const ssh: SshSettings = {
    knownHosts: sshSafe(expandHome(remote.known_hosts ?? DEFAULT_KNOWN_HOSTS), `${prefix}.known_hosts`),
    strictHostKeyChecking: remote.strict_host_key_checking ?? DEFAULT_STRICT_HOST_KEY_CHECKING,
    ...(remote.identity_file === undefined ? {} : { identityFile: sshSafe(expandHome(remote.identity_file), `${prefix}.identity_file`) }),
    connectTimeoutSeconds: Math.max(1, Math.ceil(remote.connect_timeout ?? DEFAULT_CONNECT_TIMEOUT_SECONDS)),
    keepaliveIntervalSeconds: Math.max(1, Math.ceil(remote.keepalive_interval)),
    keepaliveCountMax: remote.keepalive_count_max,
  };
  return { hosts, ssh };
}

/** The ssh program and options (unquoted words), as GNU Parallel and the cleanup sweep run it. */
export function sshArgv(ssh: SshSettings, identityFile = ssh.identityFile): string[] {
  return [
    'ssh',
    '-o', 'BatchMode=yes', // never wait for a password or passphrase prompt
    '-o', `ConnectTimeout=${ssh.connectTimeoutSeconds}`,
    '-o', `ServerAliveInterval=${ssh.keepaliveIntervalSeconds}`,
    '-o', `ServerAliveCountMax=${ssh.keepaliveCountMax}`,
    // ssh splits a UserKnownHostsFile value on spaces (it is a list): double quotes keep one path.
    '-o', `UserKnownHostsFile=${/\s/.test(ssh.knownHosts) ? `"${ssh.knownHosts}"` : ssh.knownHosts}`,
    '-o', `StrictHostKeyChecking=${ssh.strictHostKeyChecking}`,
    ...(ssh.globalKnownHosts === undefined ? [] : ['-o', `GlobalKnownHostsFile=${ssh.globalKnownHosts}`]),
    ...(identityFile === undefined ? [] : ['-i', identityFile]),
  ];
}

/**
 * The ssh command line, each word quoted for a POSIX shell. GNU Parallel pastes it
 * into shell commands and also hands it to `rsync -e`, which splits it itself:
 * rsync honours single quotes but not backslashes, which is why sshSafe() refuses a
 * path with a single quote instead of producing `'\''`.
 */
export function sshCommand(ssh: SshSettings, identityFile = ssh.identityFile): string {
  return sshArgv(ssh, identityFile).map(quote).join(' ');
}

/**
 * `--sshlogin` value: `N/user@host:port` (N = slots, so GNU Parallel never asks the
 * host for its CPU count), or `N/<ssh command> user@host:port` for a host with its
 * own key. GNU Parallel splits sshlogins on commas; `,,` is a literal comma.
 */
export function sshLogin(host: PlanHost, ssh: SshSettings): string {
  const address = `${host.user}@${host.host.includes(':') ? `[${host.host}]` : host.host}:${host.port}`;
  const command = host.identityFile === undefined ? '' : `${sshCommand(ssh, host.identityFile).replace(/,/g, ',,')} `;
  return `${host.slots}/${command}${address}`;
}

/** The name GNU Parallel writes in the joblog's Host column, minus any ssh command before it. */
export function joblogHostKey(host: Pick<PlanHost, 'user' | 'host' | 'port'>): string {
  return `${host.user}@${host.host}:${host.port}`;
}

/** rsync's -e cannot carry a quote character; a tab would break the joblog's Host column. */
function sshSafe(path: string, where: string): string {
  if (/['"\t]/.test(path)) {
    throw new TeaError('E_CONFIG_INVALID', `${where}: ${JSON.stringify(path)} contains a quote or tab character, which GNU Parallel's ssh and rsync -e commands cannot carry; rename the file or set gnu_parallel: off`);
  }
  return path;
}
