import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { RemoteConfig } from '../config/remote';
import { TeaError } from '../errors';
import type { Logger } from '../log';
import { countAgentKeys, type AgentKeys } from './trust/agent-keys';
import { resolveHosts, type HostSpec } from './trust/hosts';

/**
 * What can be known about the hosts without connecting to them, checked before the
 * first node of a run (and by --dry-run): the YAML and ssh_config evaluated (a missing
 * or unreadable identity_file, a ProxyCommand, a bad HostName fail here), each host has
 * some way to authenticate (a readable key, or an agent holding keys), and the name
 * connected to first (the host, or its first ProxyJump hop) resolves.
 */
export interface LocalCheck {
  hosts: HostSpec[];
  /** Things to tell the user (ssh_config notes, an agent that does not answer, ...). */
  warnings: string[];
  /** Hosts that cannot work as configured, with why and what to do. */
  unusable: Array<{ id: string; reason: string }>;
}

export interface LocalCheckOptions {
  env?: NodeJS.ProcessEnv;
  /** Bound on each name lookup and agent query. */
  timeoutMs?: number;
}

export async function checkHostsLocally(remote: RemoteConfig, options: LocalCheckOptions = {}): Promise<LocalCheck> {
  const env = options.env ?? process.env;
  const timeoutMs = options.timeoutMs ?? 5000;
  const warnings: string[] = [];
  const hosts = resolveHosts(remote, { env, warn: (m) => warnings.push(m) });
  const unusable: LocalCheck['unusable'] = [];

  const everySpec = hosts.flatMap((h) => [h, ...h.jumps]);
  const sockets = [...new Set(everySpec.map((h) => h.agent).filter((a): a is string => a !== undefined))];
  const agents = new Map(await Promise.all(sockets.map(async (s) => [s, await countAgentKeys(s, timeoutMs)] as const)));
  for (const [socket, outcome] of agents) {
    if (!outcome.ok) warnings.push(`ssh-agent ${socket} is not usable (${outcome.reason}): only identity files will be tried`);
  }
  for (const spec of everySpec) {
    const outcome = spec.agent === undefined ? undefined : agents.get(spec.agent);
    if (outcome?.ok) spec.agentKeys = outcome.count;
  }

  const lookups = new Map<string, Promise<string | null>>();
  await Promise.all(
    hosts.map(async (h) => {
      const problems: string[] = [];
      // One sentence for the whole chain: the hops usually share keys and agent.
      const lacking = [...h.jumps, h].map((spec) => ({ spec, why: noAuthReason(spec, agents.get(spec.agent ?? '')) })).filter((x) => x.why !== null);
      if (lacking.length > 0) {
        const jumps = lacking.filter((x) => x.spec !== h).map((x) => `ProxyJump host ${x.spec.id}`);
        const whom = jumps.length === 0 ? '' : ` (to ${[...jumps, ...(lacking.some((x) => x.spec === h) ? ['the host itself'] : [])].join(' and ')})`;
        problems.push(lacking[0]!.why!.replace('no way to authenticate', `no way to authenticate${whom}`));
      }
      // Only the first hop's name is resolved here: the others are resolved by the jump hosts.
      const first = h.jumps[0] ?? h;
      let lookupProblem = lookups.get(first.host);
      if (lookupProblem === undefined) lookups.set(first.host, (lookupProblem = resolveName(first.host, timeoutMs)));
      const dns = await lookupProblem;
      if (dns !== null) problems.push(first === h ? dns : `its ProxyJump host ${first.id}: ${dns}`);
      if (problems.length > 0) unusable.push({ id: h.id, reason: problems.join('; ') });
    }),
  );
  unusable.sort((a, b) => hosts.findIndex((h) => h.id === a.id) - hosts.findIndex((h) => h.id === b.id));
  return { hosts, warnings, unusable };
}

/** Why `spec` has nothing to authenticate with, or null when it has a key or an agent that may hold one. */
function noAuthReason(spec: HostSpec, agent: AgentKeys | undefined): string | null {
  if (spec.identities.length > 0) return null;
  if (spec.agent !== undefined) {
    // An agent that holds keys, or that was too slow to answer, may well work when connecting.
    if (agent === undefined || (agent.ok && agent.count > 0) || (!agent.ok && agent.reason.startsWith('no answer'))) return null;
  }
  const agentText =
    spec.agent === undefined ? 'no ssh-agent (SSH_AUTH_SOCK is not set)' : agent?.ok ? `ssh-agent ${spec.agent} holds no keys` : `ssh-agent ${spec.agent} is not usable`;
  const skipped = spec.skippedIdentities.length > 0 ? `; unusable keys: ${spec.skippedIdentities.join(', ')}` : '';
  return (
    `no way to authenticate: ${agentText} and no identity file found (looked for ~/.ssh/id_ed25519, ~/.ssh/id_ecdsa, ~/.ssh/id_rsa and ssh_config IdentityFile${skipped}). ` +
    'Set identity_file to a private key the host accepts, or load one into ssh-agent (ssh-add)'
  );
}

/** null when `host` resolves (or is an address), else why not. */
async function resolveName(host: string, timeoutMs: number): Promise<string | null> {
  const bare = host.replace(/%.*$/, '');
  if (isIP(bare) !== 0) return null;
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      lookup(host),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(Object.assign(new Error('timeout'), { code: 'ETIMEOUT' })), timeoutMs);
        timer.unref();
      }),
    ]);
    return null;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // A slow or failing resolver is not proof the name is wrong: the connection will tell.
    if (code !== 'ENOTFOUND') return null;
    return `cannot resolve host name "${host}" on this machine (a typo, or a name only known on another network? check hosts and ssh_config HostName)`;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The check a run makes before its first node: a configuration that cannot work fails
 * the run (exit 2) before anything ran; some unusable hosts are warned about and the
 * run goes on with the others (those hosts are then excluded when they fail).
 */
export async function checkBeforeRun(remote: RemoteConfig, logger: Logger): Promise<void> {
  const check = await checkHostsLocally(remote);
  if (check.unusable.length === check.hosts.length) {
    const list = check.unusable.map((u) => `${u.id}: ${u.reason}`).join('; ');
    throw new TeaError('E_CONFIG_INVALID', `settings.parallel.remote: no host can be used, nothing was run: ${list}`);
  }
  for (const u of check.unusable) logger.warn(`${u.id}: ${u.reason}`);
}
