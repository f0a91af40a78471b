import { existsSync } from 'node:fs';
import { TeaError } from '../../errors';
import { knownAgentKeys } from '../trust/agent-keys';
import type { HostSpec } from '../trust/hosts';

/** Turns what net/ssh2 reported during connect into a classified, actionable error. */
export function connectError(spec: HostSpec, error: unknown, timeoutSeconds: number): TeaError {
  const err = error as NodeJS.ErrnoException & { level?: string };
  const where = `${spec.host}:${spec.port}`;
  if (err instanceof TeaError) return err;
  if (err.level === 'client-authentication') {
    return new TeaError('E_AUTH_FAILED', authFailedMessage(spec), { host: spec.id, cause: err });
  }
  if (err.level === 'client-timeout' || err.code === 'ETIMEDOUT') {
    return new TeaError('E_CONNECT_TIMEOUT', `${spec.id}: no SSH handshake within ${timeoutSeconds}s (host down, hung or filtered?)`, { host: spec.id, cause: err });
  }
  if (err.code === 'ECONNREFUSED') {
    return new TeaError('E_CONNECT_FAILED', `${spec.id}: connection refused by ${where}: is sshd running and listening on port ${spec.port}?`, { host: spec.id, cause: err });
  }
  if (err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN') {
    return new TeaError('E_CONNECT_FAILED', `${spec.id}: cannot resolve host name "${spec.host}"`, { host: spec.id, cause: err });
  }
  if (/before handshake/i.test(err.message)) {
    return new TeaError('E_CONNECT_FAILED', `${spec.id}: sshd closed the connection before the handshake (too many unauthenticated connections? see MaxStartups)`, { host: spec.id, cause: err });
  }
  return new TeaError('E_CONNECT_FAILED', `${spec.id}: cannot connect: ${err.message}`, { host: spec.id, cause: err });
}

export function isChannelOpenFailure(error: unknown): boolean {
  return error instanceof Error && error.message.includes('Channel open failure');
}

/**
 * The server only says "no" (it does not tell a wrong user from an unknown key), so the
 * message names both, and suggests a command that works with what is on this machine:
 * never a key file that does not exist.
 */
export function authFailedMessage(spec: HostSpec): string {
  const target = `-p ${spec.port} ${spec.user}@${spec.host.includes(':') ? `[${spec.host}]` : spec.host}`;
  const agentKeys = spec.agentKeys ?? (spec.agent === undefined ? undefined : knownAgentKeys(spec.agent));
  const tried = spec.identities.map((i) => i.path);
  if (spec.agent !== undefined) tried.unshift(agentKeys === 0 ? `ssh-agent ${spec.agent} (holds no keys)` : `ssh-agent ${spec.agent}`);
  const skipped = spec.skippedIdentities.length > 0 ? `; skipped: ${spec.skippedIdentities.join(', ')}` : '';
  const head = `${spec.id}: authentication failed for user "${spec.user}"`;
  const key = spec.identities[0]?.path;
  if (key === undefined && (spec.agent === undefined || agentKeys === 0)) {
    return (
      `${head}: no key to offer (tried: ${tried.join(', ') || 'no ssh-agent, no identity file'}${skipped}). ` +
      `Create a key (ssh-keygen -t ed25519 -f ~/.ssh/id_ed25519) and authorize it on the host (ssh-copy-id -i ~/.ssh/id_ed25519.pub ${target}), ` +
      'or set identity_file to a key the host already accepts'
    );
  }
  const userHint = `Check the user name: "${spec.user}" must be an account on ${spec.host} whose ~/.ssh/authorized_keys holds one of these keys (set user, or write user@host in hosts)`;
  let authorize: string;
  if (key === undefined) authorize = `authorize the agent's keys on the host (ssh-copy-id ${target})`;
  else if (existsSync(`${key}.pub`)) authorize = `authorize the key on the host (ssh-copy-id -i ${key}.pub ${target})`;
  else authorize = `authorize the key on the host (append the output of ssh-keygen -y -f ${key} to ~/.ssh/authorized_keys of ${spec.user} there)`;
  return `${head} (tried: ${tried.join(', ')}${skipped}). ${userHint}; or ${authorize}`;
}
