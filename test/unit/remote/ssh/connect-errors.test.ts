import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { authFailedMessage } from '../../../../src/remote/ssh/connect-errors';
import type { HostSpec } from '../../../../src/remote/trust/hosts';

const dir = mkdtempSync(join(tmpdir(), 'tea-connect-errors-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const spec = (over: Partial<HostSpec>): HostSpec => ({
  id: 'deploy@build:2222',
  alias: 'build',
  host: '10.0.0.5',
  port: 2222,
  user: 'deploy',
  slots: 1,
  identities: [],
  skippedIdentities: [],
  connectTimeoutSeconds: 20,
  knownHosts: '/dev/null',
  strictHostKeyChecking: 'yes',
  jumps: [],
  ...over,
});

describe('authFailedMessage: what to do, with what is on this machine', () => {
  it('with a key: check the user name, then authorize that key', () => {
    const key = join(dir, 'id_a');
    writeFileSync(key, 'k');
    writeFileSync(`${key}.pub`, 'p');
    expect(authFailedMessage(spec({ identities: [{ path: key, key: Buffer.from('k') }] }))).toBe(
      `deploy@build:2222: authentication failed for user "deploy" (tried: ${key}). ` +
        'Check the user name: "deploy" must be an account on 10.0.0.5 whose ~/.ssh/authorized_keys holds one of these keys (set user, or write user@host in hosts); ' +
        `or authorize the key on the host (ssh-copy-id -i ${key}.pub -p 2222 deploy@10.0.0.5)`,
    );
  });

  it('with a key whose .pub is missing: no ssh-copy-id of a file that does not exist', () => {
    const key = join(dir, 'id_nopub');
    writeFileSync(key, 'k');
    const message = authFailedMessage(spec({ identities: [{ path: key, key: Buffer.from('k') }] }));
    expect(message).not.toContain('ssh-copy-id');
    expect(message).toContain(`append the output of ssh-keygen -y -f ${key} to ~/.ssh/authorized_keys of deploy there`);
  });

  it('with an agent that holds no keys and no key file: create a key first', () => {
    const message = authFailedMessage(spec({ agent: '/run/agent.sock', agentKeys: 0 }));
    expect(message).toBe(
      'deploy@build:2222: authentication failed for user "deploy": no key to offer (tried: ssh-agent /run/agent.sock (holds no keys)). ' +
        'Create a key (ssh-keygen -t ed25519 -f ~/.ssh/id_ed25519) and authorize it on the host (ssh-copy-id -i ~/.ssh/id_ed25519.pub -p 2222 deploy@10.0.0.5), ' +
        'or set identity_file to a key the host already accepts',
    );
  });

  it('with an agent holding keys: authorize the agent keys; IPv6 hosts in brackets', () => {
    const message = authFailedMessage(spec({ agent: '/run/agent.sock', agentKeys: 2, host: 'fe80::1%eth0' }));
    expect(message).toContain('(tried: ssh-agent /run/agent.sock)');
    expect(message).toContain("authorize the agent's keys on the host (ssh-copy-id -p 2222 deploy@[fe80::1%eth0])");
  });
});
