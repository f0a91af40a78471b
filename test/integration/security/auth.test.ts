import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { getHosts, type HostsFixture } from '../../harness/hosts';
import { flow, runFlows, scratch } from './helpers';

jest.setTimeout(120_000);

let fx: HostsFixture;
const dir = scratch();
beforeAll(async () => {
  fx = await getHosts({ count: 1 });
});
afterAll(async () => {
  await fx?.stop();
});

/** A real ssh-agent in debug mode (foreground, logs each request to stderr) on a temp socket. */
async function startAgent(): Promise<{ socket: string; log: () => string; stop: () => Promise<void> }> {
  const socket = join(dir, `agent-${Date.now()}.sock`);
  let log = '';
  const child: ChildProcess = spawn('ssh-agent', ['-d', '-a', socket], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  for (let i = 0; !existsSync(socket); i += 1) {
    if (child.exitCode !== null || i > 500) throw new Error(`ssh-agent did not start: ${log}`);
    await new Promise((r) => setTimeout(r, 10));
  }
  return {
    socket,
    log: () => log,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

describe('authentication against real sshd', () => {
  it('authenticates with ssh-agent from SSH_AUTH_SOCK alone (no identity file), and fails without the agent', async () => {
    // No default key could stand in for the agent here.
    expect(['id_ed25519', 'id_ecdsa', 'id_rsa'].filter((k) => existsSync(join(homedir(), '.ssh', k)))).toEqual([]);
    const agent = await startAgent();
    const saved = process.env.SSH_AUTH_SOCK;
    try {
      execFileSync('ssh-add', [fx.clientKeyPath], { env: { ...process.env, SSH_AUTH_SOCK: agent.socket }, stdio: 'pipe' });
      process.env.SSH_AUTH_SOCK = agent.socket;
      const ok = await runFlows(fx, [flow('work', { n: 3 })], { identity_file: undefined });
      expect(ok.results[0]).toMatchObject({ success: true, state: { doubled: 6 } });
      expect(agent.log()).toContain('process_sign_request'); // the agent signed the login

      const without = await runFlows(fx, [flow('work')], { identity_file: undefined, agent: false });
      expect(without.results[0]).toMatchObject({ success: false, error_type: 'E_AUTH_FAILED' });
      expect(without.results[0]!.error).toContain('no key to offer (tried: no ssh-agent, no identity file)');
    } finally {
      if (saved === undefined) delete process.env.SSH_AUTH_SOCK;
      else process.env.SSH_AUTH_SOCK = saved;
      await agent.stop();
    }
  });

  it('skips an agent that is not there and goes on with the identity file, warning', async () => {
    const { results, logs } = await runFlows(fx, [flow('work')], { agent: join(dir, 'no-such-agent.sock') });
    expect(results[0]!.success).toBe(true);
    expect(logs).toContainEqual(expect.stringMatching(/^warn: .*ssh-agent .*no-such-agent\.sock not usable .*trying identity files/));
  });

  it('unlocks an encrypted key with the passphrase from passphrase_env, and the passphrase shows up nowhere', async () => {
    const passphrase = `pass ${Date.now()} 'q' $(x)`;
    const encrypted = join(dir, 'client_encrypted');
    copyFileSync(fx.clientKeyPath, encrypted);
    execFileSync('ssh-keygen', ['-q', '-p', '-P', '', '-N', passphrase, '-f', encrypted]);
    expect(execFileSync('head', ['-c', '200', encrypted]).toString()).toContain('OPENSSH PRIVATE KEY');

    process.env.TEA_TEST_KEY_PASS = passphrase;
    try {
      const ok = await runFlows(fx, [flow('work', { n: 4 })], { identity_file: encrypted, passphrase_env: 'TEA_TEST_KEY_PASS', agent: false });
      expect(ok.results[0]).toMatchObject({ success: true, state: { doubled: 8 } });
      expect(JSON.stringify([ok.results, ok.logs, ok.events])).not.toContain(passphrase);

      process.env.TEA_TEST_KEY_PASS = 'wrong passphrase';
      const before = fx.readLog(0).length;
      const wrong = await runFlows(fx, [flow('work')], { identity_file: encrypted, passphrase_env: 'TEA_TEST_KEY_PASS', agent: false });
      expect(wrong.thrown).toMatchObject({ code: 'E_CONFIG_INVALID' });
      expect(wrong.thrown!.message).toMatch(/settings\.parallel\.remote\.identity_file: cannot use identity file .*client_encrypted: the passphrase in TEA_TEST_KEY_PASS does not decrypt it/);
      expect(fx.readLog(0).slice(before)).not.toMatch(/Connection from/); // refused before connecting
    } finally {
      delete process.env.TEA_TEST_KEY_PASS;
    }
    const missing = await runFlows(fx, [flow('work')], { identity_file: encrypted, passphrase_env: 'TEA_TEST_KEY_PASS', agent: false });
    expect(missing.thrown!.message).toMatch(/TEA_TEST_KEY_PASS \(settings\.parallel\.remote\.passphrase_env\) is not set in the environment/);
  });
});
