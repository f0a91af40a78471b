import { TeaError } from '../../errors';
import type { HostSpec } from '../trust/hosts';

/** Turns what net/ssh2 reported during connect into a classified, actionable error. */
export function connectError(spec: HostSpec, error: unknown, timeoutSeconds: number): TeaError {
  const err = error as NodeJS.ErrnoException & { level?: string };
  const where = `${spec.host}:${spec.port}`;
  if (err instanceof TeaError) return err;
  if (err.level === 'client-authentication') {
    const tried = spec.identities.map((i) => i.path);
    if (spec.agent !== undefined) tried.unshift(`ssh-agent ${spec.agent}`);
    const skipped = spec.skippedIdentities.length > 0 ? `; skipped: ${spec.skippedIdentities.join(', ')}` : '';
    const key = spec.identities[0]?.path ?? '~/.ssh/id_ed25519';
    return new TeaError(
      'E_AUTH_FAILED',
      `${spec.id}: authentication failed for user "${spec.user}" (tried: ${tried.join(', ') || 'no keys found'}${skipped}). ` +
        `Authorize the key on the host (ssh-copy-id -i ${key}.pub -p ${spec.port} ${spec.user}@${spec.host}) or set identity_file`,
      { host: spec.id, cause: err },
    );
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
