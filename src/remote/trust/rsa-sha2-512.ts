import { BaseAgent, createAgent, utils, type GetStreamCallback, type IdentityCallback, type ParsedKey, type SignCallback, type SigningRequestOptions } from 'ssh2';
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
  const variant = sha512Variant(parsed);
  Object.defineProperty(variant, 'sign', { value: (data: Buffer) => parsed.sign(data, 'sha512') });
  return variant;
}

/** The key with the algorithm name `rsa-sha2-512`; ssh2 sends that name as it is. */
function sha512Variant(key: ParsedKey): ParsedKey {
  const variant = Object.create(key) as ParsedKey;
  Object.defineProperty(variant, 'type', { value: 'rsa-sha2-512' });
  return variant;
}

export function rsaSha512Agent(socket: string): BaseAgent {
  const inner = createAgent(socket);
  const base = new WeakMap<object, ParsedKey>();
  class Sha512Agent extends BaseAgent<ParsedKey> {
    getIdentities(cb: IdentityCallback<ParsedKey>): void {
      inner.getIdentities((error, keys) => {
        if (error || keys === undefined) return cb(error ?? undefined);
        // An agent's keys are parsed keys at run time (the typings allow more).
        const offered = (keys as ParsedKey[]).flatMap((key) => {
          if (key.type !== 'ssh-rsa') return [key];
          const variant = sha512Variant(key);
          base.set(variant, key);
          return [key, variant];
        });
        cb(undefined, offered);
      });
    }

    sign(pubKey: ParsedKey, data: Buffer, options: SigningRequestOptions | SignCallback, cb?: SignCallback): void {
      const done = typeof options === 'function' ? options : cb;
      const original = base.get(pubKey);
      if (original !== undefined) inner.sign(original, data, { hash: 'sha512' }, done);
      else inner.sign(pubKey, data, typeof options === 'object' ? options : {}, done);
    }

    override getStream(cb: GetStreamCallback): void {
      if (inner.getStream === undefined) return cb(new Error('this agent cannot be forwarded'));
      inner.getStream(cb);
    }
  }
  return new Sha512Agent();
}
