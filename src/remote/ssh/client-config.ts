import type { Duplex } from 'node:stream';
import type { ConnectConfig } from 'ssh2';
import { TeaError, errorMessage } from '../../errors';
import type { HostKeyPolicy } from '../trust/host-key-policy';
import type { HostSpec } from '../trust/hosts';
import { rsaSha512Agent, rsaSha512Key } from '../trust/rsa-sha2-512';

/** The host key policy for a host (target or jump host): its known_hosts file and StrictHostKeyChecking. */
export type HostKeysFor = (spec: HostSpec) => HostKeyPolicy;

export interface KeepaliveSettings {
  keepaliveIntervalSeconds: number;
  keepaliveCountMax: number;
}

/**
 * The ssh2 settings every connection uses, a target host's or a ProxyJump host's:
 * the host key checked by the policy (a refusal is handed to `onHostKeyError`, since
 * ssh2 only reports a generic failure), and OpenSSH's auth order.
 */
export function clientConfig(
  spec: HostSpec,
  sock: Duplex,
  hostKeys: HostKeyPolicy,
  keepalive: KeepaliveSettings,
  onHostKeyError: (error: TeaError) => void,
): ConnectConfig {
  // An unreadable known_hosts (EACCES, EISDIR) must reject this connection, never throw
  // inside ssh2's handshake (that ends the process): the verifier refuses with the reason.
  let preferred: string[] = [];
  try {
    preferred = hostKeys.preferredAlgorithms(spec.host, spec.port);
  } catch {
    /* the verifier reports it */
  }
  return {
    sock: sock as NonNullable<ConnectConfig['sock']>,
    username: spec.user,
    readyTimeout: spec.connectTimeoutSeconds * 1000,
    keepaliveInterval: keepalive.keepaliveIntervalSeconds * 1000,
    keepaliveCountMax: keepalive.keepaliveCountMax,
    hostVerifier: (key: Buffer) => {
      let error: TeaError | null;
      try {
        error = hostKeys.verify(spec.id, spec.host, spec.port, key);
      } catch (cause) {
        error = new TeaError(
          'E_HOST_KEY_REJECTED',
          `${spec.id}: cannot check the host key: known_hosts ${hostKeys.path} cannot be used (${errorMessage(cause)}): make it a readable file, or point remote.known_hosts elsewhere`,
          { host: spec.id, cause },
        );
      }
      if (error !== null) onHostKeyError(error);
      return error === null;
    },
    authHandler: authMethods(spec) as NonNullable<ConnectConfig['authHandler']>,
    ...(preferred.length > 0 ? { algorithms: { serverHostKey: { prepend: preferred } as never } } : {}),
  };
}

/**
 * OpenSSH's order: the agent (its keys, whatever they are), then each identity file.
 * An agent that cannot be reached is skipped (ssh2 reports it as an 'agent' level error).
 */
export function authMethods(spec: HostSpec): unknown[] {
  const methods: unknown[] = [];
  // (Its RSA keys are offered as rsa-sha2-512 too, as the identity files below are.)
  if (spec.agent !== undefined) methods.push({ type: 'agent', username: spec.user, agent: rsaSha512Agent(spec.agent) });
  for (const identity of spec.identities) {
    methods.push({ type: 'publickey', username: spec.user, key: identity.key, ...(identity.passphrase === undefined ? {} : { passphrase: identity.passphrase }) });
    // ssh2 signs an RSA key with rsa-sha2-256 only: offer it once more as rsa-sha2-512
    // for hosts whose PubkeyAcceptedAlgorithms refuse the former (OpenSSH's client tries both).
    const sha512 = rsaSha512Key(identity);
    if (sha512 !== null) methods.push({ type: 'publickey', username: spec.user, key: sha512 });
  }
  return methods;
}
