import { utils, type ParsedKey } from 'ssh2';
import type { Identity } from './identities';

/**
 * The same RSA private key, presented as algorithm `rsa-sha2-512` (RFC 8332) and signing
 * with SHA-512; null for other key types.
 *
 * Why: ssh2 (1.17) picks one RSA signature algorithm per key, rsa-sha2-256 whenever the
 * server's server-sig-algs lists it, which OpenSSH's sshd always does, even when its
 * PubkeyAcceptedAlgorithms allows only rsa-sha2-512; such a host refuses every RSA key
 * from ssh2 while `ssh` logs in. ssh2 sends a parsed key's `type` as the algorithm name
 * and uses the key's own `sign` when it knows no hash for that type, so a key object
 * derived from the parsed key with `type: 'rsa-sha2-512'` and a SHA-512 `sign` makes ssh2
 * send a correct rsa-sha2-512 request. Proven against a real sshd in
 * test/integration/security/rsa-sha2-512.test.ts.
 */
export function rsaSha512Key(identity: Identity): ParsedKey | null {
  const parsed = utils.parseKey(identity.key, identity.passphrase);
  if (parsed instanceof Error || Array.isArray(parsed) || parsed.type !== 'ssh-rsa') return null;
  const variant = Object.create(parsed) as ParsedKey;
  Object.defineProperty(variant, 'type', { value: 'rsa-sha2-512' });
  Object.defineProperty(variant, 'sign', { value: (data: Buffer) => parsed.sign(data, 'sha512') });
  return variant;
}
