import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startLocalHosts, type LocalHostsFixture } from '../../harness/hosts';
import { parseParallelConfig } from '../../../src/config/parallel';
import { RemoteExecutor } from '../../../src/remote/executor';
import { capture } from '../remote/helpers';
import { flow, runFlows, scratch } from './helpers';

jest.setTimeout(120_000);

let fx: LocalHostsFixture;
const dir = scratch();
beforeAll(async () => {
  fx = await startLocalHosts({ count: 2 });
});
afterAll(async () => {
  await fx?.stop();
});

/** OpenSSH's own fingerprint of a public key line, to check our messages against. */
function opensshFingerprint(publicKey: string): string {
  const file = join(dir, `fp-${Math.random().toString(36).slice(2)}.pub`);
  writeFileSync(file, `${publicKey}\n`);
  return execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', file]).toString().split(' ')[1]!;
}
const name = (i: number) => `[127.0.0.1]:${fx.hosts[i]!.port}`;
const only = (i: number) => ({ hosts: [fx.hosts[i]!.sshlogin] });

describe('host keys against real sshd', () => {
  it('"yes" refuses a host missing from known_hosts, before authenticating, naming host, port and fingerprint', async () => {
    const knownHosts = join(dir, 'only-host1');
    writeFileSync(knownHosts, `${name(1)} ${fx.hosts[1]!.hostPublicKey}\n`);
    const logins = fx.countConnections(0);
    const { results } = await runFlows(fx, [flow('work')], { ...only(0), known_hosts: knownHosts, strict_host_key_checking: 'yes' });
    expect(results[0]).toMatchObject({ success: false, error_type: 'E_HOST_KEY_REJECTED' });
    expect(results[0]!.error).toContain(`host ${name(0)} is not in ${knownHosts} and strict_host_key_checking is "yes"`);
    expect(results[0]!.error).toContain(opensshFingerprint(fx.hosts[0]!.hostPublicKey));
    expect(results[0]!.error).toContain(`ssh-keyscan -p ${fx.hosts[0]!.port} 127.0.0.1`);
    expect(fx.countConnections(0)).toBe(logins);
    expect(readFileSync(knownHosts, 'utf8')).toBe(`${name(1)} ${fx.hosts[1]!.hostPublicKey}\n`);
  });

  it('accepts hashed entries written by ssh-keygen -H', async () => {
    const knownHosts = join(dir, 'hashed');
    copyFileSync(fx.knownHostsPath, knownHosts);
    execFileSync('ssh-keygen', ['-H', '-f', knownHosts], { stdio: 'ignore' });
    expect(readFileSync(knownHosts, 'utf8')).not.toContain('127.0.0.1');
    const { results } = await runFlows(fx, [flow('work', { n: 1 }), flow('work', { n: 2 })], { known_hosts: knownHosts, strict_host_key_checking: 'yes' });
    expect(results.map((r) => r.success)).toEqual([true, true]);
  });

  it('refuses a key marked @revoked even when a plain line also lists it', async () => {
    const knownHosts = join(dir, 'revoked');
    writeFileSync(knownHosts, `${name(0)} ${fx.hosts[0]!.hostPublicKey}\n@revoked * ${fx.hosts[0]!.hostPublicKey}\n`);
    for (const mode of ['yes', 'accept-new', 'no']) {
      const { results } = await runFlows(fx, [flow('work')], { ...only(0), known_hosts: knownHosts, strict_host_key_checking: mode });
      expect(results[0]).toMatchObject({ success: false, error_type: 'E_HOST_KEY_REJECTED' });
      expect(results[0]!.error).toContain(`is marked @revoked in ${knownHosts}; refusing to connect`);
    }
  });

  it('"no" connects but warns with the unverified fingerprint, and writes nothing', async () => {
    const knownHosts = join(dir, 'none-for-no');
    const { results, logs } = await runFlows(fx, [flow('work')], { ...only(0), known_hosts: knownHosts, strict_host_key_checking: 'no' });
    expect(results[0]!.success).toBe(true);
    expect(logs).toContainEqual(expect.stringMatching(/^warn: .*strict_host_key_checking is "no": accepting host key ssh-ed25519 SHA256:\S+ WITHOUT verification/));
    expect(existsSync(knownHosts)).toBe(false);
  });

  it('"accept-new" records a new host once, then refuses its changed key naming host, port and both fingerprints', async () => {
    const knownHosts = join(dir, 'accept-new');
    const oldKey = fx.hosts[1]!.hostPublicKey;
    const first = await runFlows(fx, [flow('work')], { ...only(1), known_hosts: knownHosts, strict_host_key_checking: 'accept-new' });
    expect(first.results[0]!.success).toBe(true);
    expect(readFileSync(knownHosts, 'utf8')).toBe(`${name(1)} ${oldKey}\n`);
    expect(first.logs).toContainEqual(expect.stringContaining(`permanently added ssh-ed25519 ${opensshFingerprint(oldKey)} for ${name(1)}`));
    // ssh itself now trusts that line, as written by us:
    const second = await runFlows(fx, [flow('work')], { ...only(1), known_hosts: knownHosts, strict_host_key_checking: 'yes' });
    expect(second.results[0]!.success).toBe(true);

    await fx.restart(1, { newHostKey: true });
    const logins = fx.countConnections(1);
    const changed = await runFlows(fx, [flow('work')], { ...only(1), known_hosts: knownHosts, strict_host_key_checking: 'accept-new' });
    expect(changed.results[0]).toMatchObject({ success: false, error_type: 'E_HOST_KEY_REJECTED', host: fx.hosts[1]!.sshlogin });
    const message = changed.results[0]!.error!;
    expect(message).toContain(`HOST KEY CHANGED for ${name(1)}`);
    expect(message).toContain(`presented ssh-ed25519 ${opensshFingerprint(fx.hosts[1]!.hostPublicKey)}`);
    expect(message).toContain(`known ${opensshFingerprint(oldKey)}`);
    expect(message).toContain(`ssh-keygen -R '${name(1)}' -f ${knownHosts}`);
    expect(fx.countConnections(1)).toBe(logins); // refused before authenticating
    expect(readFileSync(knownHosts, 'utf8')).toBe(`${name(1)} ${oldKey}\n`); // the old key stays
  });

  it.each(['no', 'accept-new', 'yes'])('"%s": a key that changes on reconnect within a run is refused (pinned at the first connection)', async (mode) => {
    const knownHosts = join(dir, `pinned-${mode}`);
    // "no": no entry at all, so only the pin can refuse; "yes": the key as served now.
    if (mode === 'yes') writeFileSync(knownHosts, `${name(0)} ${fx.hosts[0]!.hostPublicKey}\n`);
    const firstKey = fx.hosts[0]!.hostPublicKey;
    const captured = capture();
    const executor = new RemoteExecutor(captured.context);
    try {
      const config = parseParallelConfig({ strategy: 'remote', retry: { max_retries: 0 }, remote: fx.remoteConfig({ ...only(0), known_hosts: knownHosts, strict_host_key_checking: mode }) });
      const before = await executor.execute([flow('work')], config);
      expect(before[0]!.success).toBe(true);

      await fx.restart(0, { newHostKey: true }); // the connection is lost; the next flow reconnects
      if (mode === 'no') expect(existsSync(knownHosts)).toBe(false);
      const logins = fx.countConnections(0);
      const after = await executor.execute([flow('work')], config);
      expect(after[0]).toMatchObject({ success: false, error_type: 'E_HOST_KEY_REJECTED', host: fx.hosts[0]!.sshlogin });
      expect(after[0]!.error).toContain(`presented ssh-ed25519 ${opensshFingerprint(fx.hosts[0]!.hostPublicKey)}`);
      expect(after[0]!.error).toContain(opensshFingerprint(firstKey));
      expect(fx.countConnections(0)).toBe(logins); // refused before authenticating: nothing ran there
    } finally {
      await executor.close();
    }
  });
});

