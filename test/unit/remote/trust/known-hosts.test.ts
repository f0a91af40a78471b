import { createHmac, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HostKeyPolicy } from '../../../../src/remote/trust/host-key-policy';
import { checkHostKey, fingerprint, keyTypeOf, lookupName, parseKnownHosts, patternsMatch } from '../../../../src/remote/trust/known-hosts';
import { silentLogger } from '../../../../src/log';

/** An ssh-ed25519 public key blob: string "ssh-ed25519" + 32-byte key. */
function blob(seed: number): Buffer {
  const type = Buffer.from('ssh-ed25519');
  const key = Buffer.alloc(32, seed);
  const out = Buffer.alloc(4 + type.length + 4 + key.length);
  out.writeUInt32BE(type.length, 0);
  type.copy(out, 4);
  out.writeUInt32BE(32, 4 + type.length);
  key.copy(out, 8 + type.length);
  return out;
}
const b64 = (seed: number) => blob(seed).toString('base64');
function hashed(name: string): string {
  const salt = randomBytes(20);
  return `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(name).digest('base64')}`;
}

describe('known_hosts', () => {
  it('names non-22 ports as [host]:port, as ssh does', () => {
    expect(lookupName('h', 22)).toBe('h');
    expect(lookupName('127.0.0.1', 2222)).toBe('[127.0.0.1]:2222');
  });

  it('matches plain, bracketed, wildcard, negated and hashed patterns', () => {
    expect(patternsMatch('a,b,[127.0.0.1]:2222', '[127.0.0.1]:2222')).toBe(true);
    expect(patternsMatch('*.example.org', 'build-1.example.org')).toBe(true);
    expect(patternsMatch('*.example.org,!bad.example.org', 'bad.example.org')).toBe(false);
    expect(patternsMatch('host?', 'host1')).toBe(true);
    expect(patternsMatch('[127.0.0.1]:2222', '[127.0.0.1]:2223')).toBe(false);
    expect(patternsMatch(hashed('[10.0.0.5]:22022'), '[10.0.0.5]:22022')).toBe(true);
    expect(patternsMatch(hashed('other'), '[10.0.0.5]:22022')).toBe(false);
  });

  it('tells known, unknown, changed and revoked keys apart', () => {
    const entries = parseKnownHosts(
      [
        '# comment',
        `[h]:2222 ssh-ed25519 ${b64(1)} comment`,
        `@revoked * ssh-ed25519 ${b64(9)}`,
        `@cert-authority *.org ssh-ed25519 ${b64(7)}`,
        'garbage line',
      ].join('\n'),
    );
    expect(checkHostKey(entries, '[h]:2222', blob(1))).toEqual({ status: 'known' });
    expect(checkHostKey(entries, '[other]:2222', blob(1))).toEqual({ status: 'unknown' });
    expect(checkHostKey(entries, '[h]:2222', blob(2))).toEqual({ status: 'changed', knownFingerprints: [fingerprint(blob(1))], lines: [2] });
    expect(checkHostKey(entries, '[h]:2222', blob(9))).toEqual({ status: 'revoked' });
  });

  it('reads the key type and an OpenSSH-style fingerprint from a blob', () => {
    expect(keyTypeOf(blob(1))).toBe('ssh-ed25519');
    expect(fingerprint(blob(1))).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
  });

  it('reads a CRLF file (saved by a Windows editor) with the right line numbers', () => {
    const entries = parseKnownHosts(`# made on Windows\r\n[h]:2222 ssh-ed25519 ${b64(1)}\r\n\r\nother ssh-ed25519 ${b64(2)}\r\n`);
    expect(entries.map((e) => [e.patterns, e.line])).toEqual([['[h]:2222', 2], ['other', 4]]);
    expect(checkHostKey(entries, '[h]:2222', blob(1))).toEqual({ status: 'known' });
    expect(checkHostKey(entries, 'other', blob(2))).toEqual({ status: 'known' });
  });

  describe('HostKeyPolicy', () => {
    const file = () => join(mkdtempSync(join(tmpdir(), 'kh-')), 'sub', 'known_hosts');

    it('accept-new: appends on a line of its own to a file without a final newline, in its line ending', () => {
      for (const [eol, before] of [['\n', `a ssh-ed25519 ${b64(4)}`], ['\r\n', `# w\r\na ssh-ed25519 ${b64(4)}`]] as const) {
        const path = join(mkdtempSync(join(tmpdir(), 'kh-')), 'known_hosts');
        writeFileSync(path, before);
        expect(new HostKeyPolicy(path, 'accept-new', silentLogger).verify('h', 'h', 22, blob(1))).toBeNull();
        expect(readFileSync(path, 'utf8')).toBe(`${before}${eol}h ssh-ed25519 ${b64(1)}\n`);
        const policy = new HostKeyPolicy(path, 'yes', silentLogger);
        expect(policy.verify('a', 'a', 22, blob(4))).toBeNull();
        expect(policy.verify('h', 'h', 22, blob(1))).toBeNull();
      }
    });

    it('yes: refuses an unknown host and says how to add it', () => {
      const err = new HostKeyPolicy(file(), 'yes', silentLogger).verify('u@h:2222', 'h', 2222, blob(1));
      expect(err?.code).toBe('E_HOST_KEY_REJECTED');
      expect(err?.message).toMatch(/not in .*known_hosts.*ssh-keyscan -p 2222 h/);
    });

    it('accept-new: records a new host, then refuses a changed key naming both fingerprints', () => {
      const path = file();
      const policy = new HostKeyPolicy(path, 'accept-new', silentLogger);
      expect(policy.verify('u@h:2222', 'h', 2222, blob(1))).toBeNull();
      expect(readFileSync(path, 'utf8')).toBe(`[h]:2222 ssh-ed25519 ${b64(1)}\n`);
      expect(policy.verify('u@h:2222', 'h', 2222, blob(1))).toBeNull();
      const changed = policy.verify('u@h:2222', 'h', 2222, blob(2));
      expect(changed?.code).toBe('E_HOST_KEY_REJECTED');
      expect(changed?.message).toContain(fingerprint(blob(1)));
      expect(changed?.message).toContain(fingerprint(blob(2)));
      expect(changed?.message).toContain('ssh-keygen -R');
    });

    it('refuses a revoked key even with accept-new', () => {
      const path = join(mkdtempSync(join(tmpdir(), 'kh-')), 'known_hosts');
      writeFileSync(path, `@revoked * ssh-ed25519 ${b64(3)}\n`);
      expect(new HostKeyPolicy(path, 'accept-new', silentLogger).verify('h', 'h', 22, blob(3))?.message).toMatch(/@revoked/);
    });

    it('no: accepts an unknown host, warning once per host and recording nothing', () => {
      const warnings: string[] = [];
      const path = file();
      const policy = new HostKeyPolicy(path, 'no', { ...silentLogger, warn: (m) => warnings.push(m) });
      expect(policy.verify('h', 'h', 22, blob(1))).toBeNull();
      expect(policy.verify('h', 'h', 22, blob(1))).toBeNull();
      expect(policy.verify('h2', 'h2', 22, blob(2))).toBeNull();
      expect(warnings).toHaveLength(2);
      expect(warnings[0]).toMatch(/WITHOUT verification/);
      expect(existsSync(path)).toBe(false);
    });

    it('no: still refuses a changed or revoked key', () => {
      const path = join(mkdtempSync(join(tmpdir(), 'kh-')), 'known_hosts');
      writeFileSync(path, `h ssh-ed25519 ${b64(1)}
@revoked * ssh-ed25519 ${b64(3)}
`);
      const policy = new HostKeyPolicy(path, 'no', silentLogger);
      expect(policy.verify('h', 'h', 22, blob(1))).toBeNull();
      expect(policy.verify('h', 'h', 22, blob(2))?.message).toMatch(/HOST KEY CHANGED/);
      expect(policy.verify('x', 'x', 22, blob(3))?.message).toMatch(/@revoked/);
    });

    it.each(['yes', 'accept-new', 'no'] as const)('%s: pins the first accepted key for the rest of the run, even when known_hosts has none', (mode) => {
      const path = file();
      const policy = new HostKeyPolicy(path, 'no', silentLogger);
      const strict = new HostKeyPolicy(path, mode, silentLogger);
      // "yes" needs the host listed: list it through a first accept-new policy.
      if (mode === 'yes') expect(new HostKeyPolicy(path, 'accept-new', silentLogger).verify('h', 'h', 22, blob(1))).toBeNull();
      expect(strict.verify('u@h:22', 'h', 22, blob(1))).toBeNull();
      expect(strict.pinnedKeys().get('h')?.equals(blob(1))).toBe(true);
      // known_hosts edited mid-run (or "no" with no entry): the pin still decides.
      rmSync(path, { force: true });
      const changed = strict.verify('u@h:22', 'h', 22, blob(2));
      expect(changed?.code).toBe('E_HOST_KEY_REJECTED');
      expect(changed?.message).toContain('HOST KEY CHANGED during this run for h');
      expect(changed?.message).toContain(fingerprint(blob(1)));
      expect(changed?.message).toContain(fingerprint(blob(2)));
      expect(strict.verify('u@h:22', 'h', 22, blob(1))).toBeNull();
      // Another run (another policy) starts with no pins.
      expect(policy.verify('h', 'h', 22, blob(2))).toBeNull();
    });

    it('asks for the known key type first', () => {
      const path = join(mkdtempSync(join(tmpdir(), 'kh-')), 'known_hosts');
      writeFileSync(path, `h ssh-rsa ${b64(4)}\n`);
      expect(new HostKeyPolicy(path, 'yes', silentLogger).preferredAlgorithms('h', 22)).toEqual(['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa']);
    });
  });
});
