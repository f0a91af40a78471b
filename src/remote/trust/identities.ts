import { statSync } from 'node:fs';
import { readErrorReason, readRegularFileSync } from '../../util/regular-file';
import { utils } from 'ssh2';
import { TeaError } from '../../errors';
import { expandHome } from '../../util/paths';

/** A private key ready for ssh2; `passphrase` only for an encrypted key (never logged). */
export interface Identity {
  path: string;
  key: Buffer;
  passphrase?: string;
}

/** Where an encrypted key's passphrase comes from: an environment variable named in config. */
export interface PassphraseSource {
  /** The variable's name (the value is read from `env`). */
  name: string;
  /** The config path that named it, for messages. */
  where: string;
}

export type IdentityOutcome = { ok: true; identity: Identity } | { ok: false; reason: string };

/**
 * Reads (and, with a passphrase from the environment, decrypts) a private key.
 * A required key (named in the YAML) that cannot be used fails the run before any
 * connection; an optional one (ssh_config, defaults) is skipped with the reason,
 * which the authentication error repeats.
 */
export function readIdentity(
  path: string,
  where: string,
  required: boolean,
  passphrase: PassphraseSource | undefined,
  env: NodeJS.ProcessEnv,
): IdentityOutcome | null {
  const full = expandHome(path);
  const fail = (reason: string, hint: string): IdentityOutcome => {
    if (required) throw new TeaError('E_CONFIG_INVALID', `${where}: cannot use identity file ${full}: ${reason}${hint ? `: ${hint}` : ''}`);
    return { ok: false, reason: `${full} (${reason})` };
  };
  let key: Buffer;
  try {
    key = readRegularFileSync(full);
  } catch (error) {
    const code = readErrorReason(error);
    if (!required) return code === 'ENOENT' ? null : { ok: false, reason: `${full} (${code})` };
    throw new TeaError('E_CONFIG_INVALID', `${where}: cannot read identity file ${full}: ${code}. Point it at an existing private key.`);
  }
  const open = tooOpen(full);
  if (open !== null) return fail(open, `chmod 600 ${full} (ssh refuses such a key: "UNPROTECTED PRIVATE KEY FILE")`);
  const plain = utils.parseKey(key);
  if (!(plain instanceof Error)) return { ok: true, identity: { path: full, key } };
  if (!/no passphrase given/i.test(plain.message)) return fail('not an OpenSSH or PEM private key', '');

  if (passphrase === undefined) {
    return fail('it is encrypted', 'set passphrase_env to the name of an environment variable holding its passphrase, or load it into ssh-agent (ssh-add)');
  }
  const value = env[passphrase.name];
  if (value === undefined || value === '') {
    return fail(`it is encrypted and ${passphrase.name} (${passphrase.where}) is not set in the environment`, `export ${passphrase.name} before running tea`);
  }
  const decrypted = utils.parseKey(key, value);
  // ssh2's message says nothing about the passphrase's value; ours names only the variable.
  if (decrypted instanceof Error) return fail(`the passphrase in ${passphrase.name} does not decrypt it`, 'check the variable');
  return { ok: true, identity: { path: full, key, passphrase: value } };
}

/**
 * OpenSSH's sshkey_perm_ok: a private key owned by this user must not be readable or
 * writable by group or others. Not checked on Windows (no POSIX modes there).
 */
function tooOpen(path: string): string | null {
  if (process.platform === 'win32') return null;
  try {
    const st = statSync(path);
    if (st.uid !== process.getuid?.() || (st.mode & 0o077) === 0) return null;
    return `its permissions ${(st.mode & 0o777).toString(8).padStart(4, '0')} are too open (group or others can read it)`;
  } catch {
    return null;
  }
}
