import { userInfo } from 'node:os';
import { DEFAULT_CONNECT_TIMEOUT_SECONDS, DEFAULT_KNOWN_HOSTS, DEFAULT_STRICT_HOST_KEY_CHECKING, type RemoteConfig } from '../../config/remote';
import { hostLabel, isHostName, parsePort, parseSshLogin } from '../../config/sshlogin';
import { TeaError } from '../../errors';
import { readIdentity, type Identity, type PassphraseSource } from './identities';
import { expandHome, isWindowsPipe } from '../../util/paths';
import { expandHostName, SshConfig, type SshConfigHost } from './ssh-config';
import { expandSshPath } from './ssh-tokens';

type StrictHostKeyChecking = 'yes' | 'accept-new' | 'no';
/** ssh_config's values; tea never prompts, so "ask" refuses an unknown host as ssh -o BatchMode=yes does. */
const STRICT_MODES: Record<string, StrictHostKeyChecking> = { yes: 'yes', ask: 'yes', 'accept-new': 'accept-new', no: 'no', off: 'no' };

export { expandHome };
export type { Identity };

/** A host resolved for connecting: YAML, then ssh_config, then defaults; keys read and parsed. */
export interface HostSpec {
  /** `user@alias:port`: the name in logs, results, events and breaker keys. */
  id: string;
  /** The name as written in `hosts` (or in a ProxyJump), possibly an ssh_config alias. */
  alias: string;
  /** What is connected to (ssh_config HostName, else the alias); known_hosts is looked up by it. */
  host: string;
  port: number;
  user: string;
  slots: number;
  /** Private keys tried in order after the agent (OpenSSH's order). */
  identities: Identity[];
  /** Keys found but not usable, with why: repeated when authentication fails. */
  skippedIdentities: string[];
  /** ssh-agent socket, Windows pipe or `pageant`, tried before the keys. */
  agent?: string;
  /** Keys the agent held when tea asked before the run (local checks); unknown when absent. */
  agentKeys?: number;
  connectTimeoutSeconds: number;
  /** known_hosts file (absolute): YAML known_hosts, else ssh_config UserKnownHostsFile, else ~/.ssh/known_hosts. */
  knownHosts: string;
  /** YAML strict_host_key_checking, else ssh_config StrictHostKeyChecking, else accept-new. */
  strictHostKeyChecking: StrictHostKeyChecking;
  /** ProxyJump hosts, in the order they are hopped through; empty for a direct connection. */
  jumps: HostSpec[];
}

const DEFAULT_IDENTITIES = ['~/.ssh/id_ed25519', '~/.ssh/id_ecdsa', '~/.ssh/id_rsa'];
const USER_RE = /^[A-Za-z0-9._][A-Za-z0-9._-]*$/;
const MAX_JUMPS = 8;

export interface ResolveOptions {
  /** Config path prefix for messages. */
  prefix?: string;
  /** Where things tea read but could not honour are reported. */
  warn?: (message: string) => void;
  /** Environment for SSH_AUTH_SOCK and passphrases (default: process.env). */
  env?: NodeJS.ProcessEnv;
  /** The local platform (default: process.platform); Windows-only agents are refused elsewhere. */
  platform?: NodeJS.Platform;
  /** The local account name, ssh's default user (default: os.userInfo()). */
  localUser?: string;
}

/** One host to resolve: what the YAML (or a ProxyJump entry) says explicitly. */
interface Explicit {
  alias: string;
  user?: string;
  port?: number;
  identityFile?: { path: string; where: string };
  passphrase?: PassphraseSource;
  slots: number;
}

/** Applies YAML values, then ssh_config, then defaults, and reads keys; fails before any connection, naming the config path. */
export function resolveHosts(config: RemoteConfig, options: ResolveOptions = {}): HostSpec[] {
  const prefix = options.prefix ?? 'settings.parallel.remote';
  const env = options.env ?? process.env;
  const sshConfig = config.ssh_config === false ? null : SshConfig.load(config.ssh_config, config.ssh_config === '~/.ssh/config', `${prefix}.ssh_config`);
  const resolver = new Resolver(config, prefix, env, sshConfig, options.platform ?? process.platform, options.localUser ?? userInfo().username);
  const seen = new Map<string, number>();
  const hosts = config.hosts.map((entry, i) => {
    const where = `${prefix}.hosts[${i}]`;
    const passphraseEnv = entry.passphrase_env ?? config.passphrase_env;
    const spec = resolver.resolve(
      {
        alias: entry.host,
        ...(entry.user === undefined ? {} : { user: entry.user }),
        ...(entry.port === undefined ? {} : { port: entry.port }),
        ...(entry.identity_file !== undefined
          ? { identityFile: { path: entry.identity_file, where: `${where}.identity_file` } }
          : config.identity_file !== undefined
            ? { identityFile: { path: config.identity_file, where: `${prefix}.identity_file` } }
            : {}),
        ...(passphraseEnv === undefined
          ? {}
          : { passphrase: { name: passphraseEnv, where: entry.passphrase_env !== undefined ? `${where}.passphrase_env` : `${prefix}.passphrase_env` } }),
        slots: entry.slots ?? config.max_channels_per_host,
      },
      where,
      [],
    );
    const previous = seen.get(spec.id);
    if (previous !== undefined) {
      throw new TeaError('E_CONFIG_INVALID', `${where}: ${spec.id} is listed twice (also hosts[${previous}]); give it more slots instead`);
    }
    seen.set(spec.id, i);
    return spec;
  });
  for (const note of sshConfig?.takeNotes() ?? []) options.warn?.(note);
  return hosts;
}

class Resolver {

  constructor(
    private readonly config: RemoteConfig,
    private readonly prefix: string,
    private readonly env: NodeJS.ProcessEnv,
    private readonly sshConfig: SshConfig | null,
    private readonly platform: NodeJS.Platform,
    private readonly localUser: string,
  ) {}

  /** `chain` holds the aliases being resolved above this one (ProxyJump loops). */
  resolve(explicit: Explicit, where: string, chain: string[]): HostSpec {
    const { alias } = explicit;
    const found: SshConfigHost = this.sshConfig?.lookup(alias, explicit.user) ?? { identityFiles: [] };
    const from = `${where} ("${alias}" in ssh_config ${this.sshConfig?.path})`;
    const bad = (what: string) => new TeaError('E_CONFIG_INVALID', `${from}: ${what}`);

    const host = found.hostName === undefined ? alias : expandHostName(found.hostName, alias);
    if (!isHostName(host)) throw bad(`HostName "${host}" is not a valid host name`);
    let port = explicit.port;
    if (port === undefined && found.port !== undefined) {
      const parsed = parsePort(found.port);
      if (typeof parsed === 'string') throw bad(`Port: ${parsed}`);
      port = parsed;
    }
    port ??= 22;
    const user = explicit.user ?? found.user ?? this.localUser;
    if (!USER_RE.test(user)) {
      if (explicit.user === undefined && found.user === undefined) {
        // ssh would send the local account name; a Windows one may hold a space or DOMAIN\ prefix.
        throw new TeaError(
          'E_CONFIG_INVALID',
          `${where}: no user given for "${alias}" and the local account name "${user}" is not a valid SSH user name (letters, digits, ".", "_", "-"): set "user" in the host entry (or "user@${alias}"), or User in ssh_config`,
        );
      }
      throw bad(`User "${user}" is not a valid user name`);
    }
    let connectTimeoutSeconds = this.config.connect_timeout;
    if (connectTimeoutSeconds === undefined && found.connectTimeout !== undefined) {
      connectTimeoutSeconds = Number(found.connectTimeout);
      if (!/^[0-9]+$/.test(found.connectTimeout) || connectTimeoutSeconds <= 0) throw bad(`ConnectTimeout "${found.connectTimeout}" is not a positive number of seconds`);
    }
    if (found.proxyCommand !== undefined && found.proxyCommand.toLowerCase() !== 'none') {
      throw bad('ProxyCommand is not supported (tea runs no local commands to connect): use ProxyJump, which tea runs over its own SSH connection');
    }

    const expand = (value: string, keyword: string): string => {
      const out = expandSshPath(value, { alias, host, port, user, localUser: this.localUser }, this.env);
      if ('error' in out) throw bad(`${keyword} "${value}": ${out.error}`);
      return out.path;
    };
    const identities: Identity[] = [];
    const skippedIdentities: string[] = [];
    const add = (path: string, where2: string, required: boolean) => {
      const outcome = readIdentity(path, where2, required, explicit.passphrase, this.env);
      if (outcome === null) return;
      if (!outcome.ok) skippedIdentities.push(outcome.reason);
      else if (!identities.some((i) => i.path === outcome.identity.path)) identities.push(outcome.identity);
    };
    if (explicit.identityFile !== undefined) add(explicit.identityFile.path, explicit.identityFile.where, true);
    for (const file of found.identityFiles) {
      if (file.toLowerCase() === 'none') continue;
      add(expand(file, 'IdentityFile'), `${from} IdentityFile`, false);
    }
    if (explicit.identityFile === undefined && found.identityFiles.length === 0) {
      for (const path of DEFAULT_IDENTITIES) add(path, 'default identity', false);
    }

    // YAML wins; then ssh_config (ssh reads every UserKnownHostsFile and writes the first: tea uses the first).
    let knownHosts = this.config.known_hosts === undefined ? undefined : expandHome(this.config.known_hosts);
    if (knownHosts === undefined && found.userKnownHostsFile !== undefined) {
      const [first, ...rest] = found.userKnownHostsFile.split(/\s+/).filter(Boolean);
      if (first !== undefined) knownHosts = first.toLowerCase() === 'none' ? '/dev/null' : expand(first, 'UserKnownHostsFile');
      if (rest.length > 0) this.sshConfig?.note(`${from}: UserKnownHostsFile lists ${rest.length + 1} files; tea reads and writes only the first, ${knownHosts}`);
    }
    knownHosts ??= expandHome(DEFAULT_KNOWN_HOSTS);
    let strictHostKeyChecking = this.config.strict_host_key_checking;
    if (strictHostKeyChecking === undefined && found.strictHostKeyChecking !== undefined) {
      const mode = STRICT_MODES[found.strictHostKeyChecking.toLowerCase()];
      if (mode === undefined) throw bad(`StrictHostKeyChecking "${found.strictHostKeyChecking}" is not one of yes, accept-new, no, ask, off`);
      strictHostKeyChecking = mode;
    }
    strictHostKeyChecking ??= DEFAULT_STRICT_HOST_KEY_CHECKING;

    const jumps = this.#jumps(found.proxyJump, where, [...chain, alias.toLowerCase()]);
    const agent = this.#agent(found);
    return {
      id: hostLabel(alias, port, user),
      alias,
      host,
      port,
      user,
      slots: explicit.slots,
      identities,
      skippedIdentities,
      ...(agent === undefined ? {} : { agent }),
      connectTimeoutSeconds: connectTimeoutSeconds ?? DEFAULT_CONNECT_TIMEOUT_SECONDS,
      knownHosts,
      strictHostKeyChecking,
      jumps,
    };
  }

  /** YAML `agent` wins; then ssh_config IdentityAgent; then $SSH_AUTH_SOCK. IdentitiesOnly yes: no agent. */
  #agent(found: SshConfigHost): string | undefined {
    if (this.config.agent === false) return undefined;
    if (this.config.agent !== undefined) return this.#checkAgent(expandHome(this.config.agent), `${this.prefix}.agent`);
    if (found.identitiesOnly?.toLowerCase() === 'yes') return undefined;
    const configured = found.identityAgent;
    if (configured !== undefined) {
      if (configured.toLowerCase() === 'none') return undefined;
      if (configured !== 'SSH_AUTH_SOCK' && configured !== '$SSH_AUTH_SOCK' && configured !== '${SSH_AUTH_SOCK}') {
        return this.#checkAgent(expandHome(configured), `IdentityAgent in ssh_config ${this.sshConfig?.path}`);
      }
    }
    const socket = this.env.SSH_AUTH_SOCK;
    return socket === undefined || socket === '' ? undefined : socket;
  }

  /** Pageant and named pipes exist only on Windows; elsewhere ssh2 would take them for a socket path and fail at connect. */
  #checkAgent(agent: string, where: string): string {
    const windowsOnly = agent.toLowerCase() === 'pageant' || isWindowsPipe(agent);
    if (windowsOnly && this.platform !== 'win32') {
      throw new TeaError('E_CONFIG_INVALID', `${where}: "${agent}" is a Windows agent (Pageant or a named pipe) and this client runs on ${this.platform}: give the ssh-agent socket path, or false for none`);
    }
    return agent;
  }

  /**
   * ProxyJump `a,b` hops through a, then b. The first hop's own ProxyJump (from
   * ssh_config) is followed too, as ssh does; later hops are reached through the earlier.
   */
  #jumps(proxyJump: string | undefined, where: string, chain: string[]): HostSpec[] {
    if (proxyJump === undefined || proxyJump.toLowerCase() === 'none') return [];
    const jumps: HostSpec[] = [];
    proxyJump.split(',').forEach((text, k) => {
      const hop = text.trim().replace(/^ssh:\/\//, '');
      const parsed = hop.includes('/') ? `unexpected "/" in "${hop}"` : parseSshLogin(hop);
      const jumpWhere = `${where} ProxyJump[${k}]`;
      if (typeof parsed === 'string') throw new TeaError('E_CONFIG_INVALID', `${jumpWhere}: ${parsed}`);
      if (chain.includes(parsed.host.toLowerCase())) {
        throw new TeaError('E_CONFIG_INVALID', `${jumpWhere}: ProxyJump loop through "${parsed.host}" (${[...chain, parsed.host].join(' -> ')})`);
      }
      const spec = this.resolve(
        {
          alias: parsed.host,
          ...(parsed.user === undefined ? {} : { user: parsed.user }),
          ...(parsed.port === undefined ? {} : { port: parsed.port }),
          ...(this.config.identity_file === undefined ? {} : { identityFile: { path: this.config.identity_file, where: `${this.prefix}.identity_file` } }),
          ...(this.config.passphrase_env === undefined ? {} : { passphrase: { name: this.config.passphrase_env, where: `${this.prefix}.passphrase_env` } }),
          slots: 1,
        },
        jumpWhere,
        chain,
      );
      // Only the first hop keeps its own jumps: later hops are reached through the earlier ones.
      if (k === 0) jumps.push(...spec.jumps);
      jumps.push({ ...spec, jumps: [] });
    });
    if (jumps.length > MAX_JUMPS) throw new TeaError('E_CONFIG_INVALID', `${where}: more than ${MAX_JUMPS} ProxyJump hops`);
    return jumps;
  }
}
