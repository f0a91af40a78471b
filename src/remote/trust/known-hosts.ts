import { createHash, createHmac } from 'node:crypto';
import { globToRegExp } from '../../util/glob';

/**
 * OpenSSH known_hosts, as `ssh` reads it: plain and hashed (`|1|salt|hash`) host
 * patterns, `[host]:port` names for non-22 ports, `*`/`?`/`!` patterns, and the
 * `@revoked` marker (`@cert-authority` lines are skipped: no certificate support).
 */
export interface KnownHostEntry {
  marker: 'revoked' | 'cert-authority' | null;
  patterns: string;
  keyType: string;
  key: Buffer;
  line: number;
}

export function parseKnownHosts(text: string): KnownHostEntry[] {
  const entries: KnownHostEntry[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const fields = line.split(/\s+/);
    let marker: KnownHostEntry['marker'] = null;
    if (fields[0]!.startsWith('@')) {
      const name = fields.shift()!;
      if (name === '@revoked') marker = 'revoked';
      else if (name === '@cert-authority') marker = 'cert-authority';
      else return;
    }
    const [patterns, keyType, keyB64] = fields;
    if (patterns === undefined || keyType === undefined || keyB64 === undefined) return;
    const key = Buffer.from(keyB64, 'base64');
    if (key.length === 0) return;
    entries.push({ marker, patterns, keyType, key, line: i + 1 });
  });
  return entries;
}

/** The name OpenSSH looks a host up by: `host` on port 22, else `[host]:port`. */
export function lookupName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

function globMatch(pattern: string, name: string): boolean {
  return globToRegExp(pattern, { ignoreCase: true }).test(name);
}

function hashedMatch(pattern: string, name: string): boolean {
  const [, magic, salt, hash] = pattern.split('|');
  if (magic !== '1' || salt === undefined || hash === undefined) return false;
  const digest = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64');
  return digest === hash;
}

/** Whether an entry's host patterns match `name` (a negated match wins). */
export function patternsMatch(patterns: string, name: string): boolean {
  if (patterns.startsWith('|')) return hashedMatch(patterns, name);
  let matched = false;
  for (const pattern of patterns.split(',')) {
    if (pattern.startsWith('!')) {
      if (globMatch(pattern.slice(1), name)) return false;
    } else if (globMatch(pattern, name)) {
      matched = true;
    }
  }
  return matched;
}

export function fingerprint(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

/** The key type named inside an SSH public key blob (`ssh-ed25519`, ...). */
export function keyTypeOf(blob: Buffer): string {
  if (blob.length < 4) return 'unknown';
  const len = blob.readUInt32BE(0);
  return blob.subarray(4, 4 + len).toString('latin1');
}

export type HostKeyStatus =
  | { status: 'known' }
  | { status: 'unknown' }
  | { status: 'revoked' }
  | { status: 'changed'; knownFingerprints: string[]; lines: number[] };

/** Checks a presented host key against the entries for `name`. */
export function checkHostKey(entries: readonly KnownHostEntry[], name: string, key: Buffer): HostKeyStatus {
  const matching = entries.filter((e) => e.marker !== 'cert-authority' && patternsMatch(e.patterns, name));
  if (entries.some((e) => e.marker === 'revoked' && e.key.equals(key))) return { status: 'revoked' };
  const plain = matching.filter((e) => e.marker === null);
  if (plain.some((e) => e.key.equals(key))) return { status: 'known' };
  if (plain.length === 0) return { status: 'unknown' };
  return { status: 'changed', knownFingerprints: plain.map((e) => fingerprint(e.key)), lines: plain.map((e) => e.line) };
}

/** Key types known for `name`, so the client can ask the server for one of them first (as ssh does). */
export function knownKeyTypes(entries: readonly KnownHostEntry[], name: string): string[] {
  const types = entries.filter((e) => e.marker === null && patternsMatch(e.patterns, name)).map((e) => e.keyType);
  return [...new Set(types)];
}

export function formatKnownHostLine(name: string, key: Buffer): string {
  return `${name} ${keyTypeOf(key)} ${key.toString('base64')}\n`;
}

/**
 * The text to append to a known_hosts file whose current content is `existing`: a file
 * saved without a final newline (Notepad does that) gets one first, in the file's own
 * line ending, so the new entry does not glue onto its last line.
 */
export function knownHostsAppendText(existing: string, name: string, key: Buffer): string {
  const line = formatKnownHostLine(name, key);
  if (existing === '' || existing.endsWith('\n')) return line;
  return `${existing.includes('\r\n') ? '\r\n' : '\n'}${line}`;
}
