import { readFileSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { join } from 'node:path';
import { utils } from 'ssh2';
import type { RemoteConfig } from '../config/remote';
import { hostLabel } from '../config/sshlogin';
import { TeaError } from '../errors';

/** A host resolved for connecting: defaults applied, keys read and parsed. */
export interface HostSpec {
  /** `user@host:port`: the name in logs, results, events and breaker keys. */
  id: string;
  host: string;
  port: number;
  user: string;
  slots: number;
  /** Private keys tried in order after the agent (OpenSSH's order). */
  identities: Array<{ path: string; key: Buffer }>;
}

const DEFAULT_IDENTITIES = ['~/.ssh/id_ed25519', '~/.ssh/id_ecdsa', '~/.ssh/id_rsa'];

/** Expands a leading `~` to the local home directory (as ssh does). */
export function expandHome(path: string): string {
  if (path === '~') return homedir();
  if (path.startsWith('~/')) return join(homedir(), path.slice(2));
  return path;
}

function readIdentity(path: string, where: string, required: boolean): { path: string; key: Buffer } | null {
  const full = expandHome(path);
  let key: Buffer;
  try {
    key = readFileSync(full);
  } catch (error) {
    if (!required) return null;
    throw new TeaError('E_CONFIG_INVALID', `${where}: cannot read identity file ${full}: ${(error as NodeJS.ErrnoException).code ?? error}. Point it at an existing private key.`);
  }
  const parsed = utils.parseKey(key);
  if (parsed instanceof Error) {
    const encrypted = /encrypted|passphrase/i.test(parsed.message);
    const hint = encrypted ? 'it is encrypted: load it into ssh-agent (ssh-add) or use an unencrypted deploy key' : 'expected an OpenSSH or PEM private key';
    if (!required) return null;
    throw new TeaError('E_CONFIG_INVALID', `${where}: cannot use identity file ${full}: ${hint}`);
  }
  return { path: full, key };
}

/** Applies defaults and reads keys; fails before any connection, naming the config path. */
export function resolveHosts(config: RemoteConfig, prefix = 'settings.parallel.remote'): HostSpec[] {
  const seen = new Map<string, number>();
  const localUser = userInfo().username;
  const shared = config.identity_file === undefined ? null : readIdentity(config.identity_file, `${prefix}.identity_file`, true);
  const defaults = () =>
    DEFAULT_IDENTITIES.map((p) => readIdentity(p, 'default identity', false)).filter((x): x is { path: string; key: Buffer } => x !== null);

  return config.hosts.map((entry, i) => {
    const port = entry.port ?? 22;
    const user = entry.user ?? localUser;
    const id = hostLabel(entry.host, port, user);
    const previous = seen.get(id);
    if (previous !== undefined) {
      throw new TeaError('E_CONFIG_INVALID', `${prefix}.hosts[${i}]: ${id} is listed twice (also hosts[${previous}]); give it more slots instead`);
    }
    seen.set(id, i);
    const own = entry.identity_file === undefined ? null : readIdentity(entry.identity_file, `${prefix}.hosts[${i}].identity_file`, true);
    const identities = own !== null ? [own] : shared !== null ? [shared] : defaults();
    return { id, host: entry.host, port, user, slots: entry.slots ?? config.max_channels_per_host, identities };
  });
}

