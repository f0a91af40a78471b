// Messages that say what happened and what to do (issue 17), each pinned against real sshd
// through the built CLI: one `Error:` line, the fix in it, nothing repeated.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { getHosts, type HostsFixture } from '../../harness/hosts';
import { installTea, runTea, writeIn } from './tea';

jest.setTimeout(180_000);

let fx: HostsFixture;
let tea: string;
let dir: string;
beforeAll(async () => {
  fx = await getHosts({ count: 1 });
  ({ tea, dir } = installTea());
});
afterAll(async () => {
  await fx?.stop();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

/** A two-branch fan-out after a `first` node that leaves a marker file (so a test can tell whether any node ran). */
function workflow(remote: Record<string, unknown>, opts: { branch?: string; parallel?: Record<string, unknown> } = {}): { file: string; marker: string } {
  const marker = path.join(dir, `ran-${Math.random().toString(36).slice(2)}`);
  const doc = {
    settings: { parallel: { strategy: 'remote', retry: { max_retries: 0 }, ...opts.parallel, remote: { ssh_config: false, agent: false, ...remote } } },
    nodes: [
      { name: 'first', run: `require('fs').writeFileSync(${JSON.stringify(marker)}, 'x'); return {};` },
      { name: 'a', run: opts.branch ?? 'return { a: 1 };' },
      { name: 'b', run: 'return { b: 2 };' },
      { name: 'join', run: 'return { n: parallel_results.length };' },
    ],
    edges: [
      { from: '__start__', to: 'first' },
      { from: 'first', to: ['a', 'b'], type: 'parallel', fan_in: 'join' },
      { from: 'a', to: 'join' },
      { from: 'b', to: 'join' },
      { from: 'join', to: '__end__' },
    ],
  };
  return { file: writeIn(dir, `wf-${Math.random().toString(36).slice(2)}.yaml`, JSON.stringify(doc)), marker };
}

const errorLines = (stderr: string) => stderr.split('\n').filter((l) => l.startsWith('Error: '));
/** An environment without an agent and with an empty home (no default keys, no ~/.ssh/config). */
function bareEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const home = path.join(dir, `home-${Math.random().toString(36).slice(2)}`);
  mkdirSync(home);
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, ...extra };
  if (extra.SSH_AUTH_SOCK === undefined) delete env.SSH_AUTH_SOCK;
  return env;
}

describe('authentication messages', () => {
  it('a wrong user: says to check the user name, names the key to authorize, and does not say "set identity_file" when one is set', async () => {
    const h = fx.hosts[0]!;
    const { file } = workflow({ ...fx.remoteConfig(), hosts: [`nosuchuser@${h.host}:${h.port}`] });
    const run = await runTea(tea, ['run', file]);
    expect(run.code).toBe(1);
    const [line, ...rest] = errorLines(run.stderr);
    expect(rest).toEqual([]);
    expect(line).toContain(`authentication failed for user "nosuchuser" (tried: ${fx.clientKeyPath})`);
    expect(line).toContain(`Check the user name: "nosuchuser" must be an account on ${h.host}`);
    expect(line).toContain(`ssh-copy-id -i ${fx.clientKeyPath}.pub -p ${h.port} nosuchuser@${h.host}`);
    expect(line).not.toContain('set identity_file');
  });

  it('an empty ssh-agent and no key: fails before the first node, saying the agent holds no keys, suggesting no key file that does not exist', async () => {
    const socket = path.join(dir, 'agent.sock');
    const agent: ChildProcess = spawn('ssh-agent', ['-d', '-a', socket], { stdio: 'ignore' });
    try {
      for (let i = 0; !existsSync(socket); i += 1) {
        if (i > 500) throw new Error('ssh-agent did not start');
        await new Promise((r) => setTimeout(r, 10));
      }
      const { file, marker } = workflow({ ...fx.remoteConfig(), identity_file: undefined, agent: undefined });
      const env = bareEnv({ SSH_AUTH_SOCK: socket });
      const run = await runTea(tea, ['run', file], { env });
      expect(run.code).toBe(2);
      expect(existsSync(marker)).toBe(false); // nothing ran
      const [line] = errorLines(run.stderr);
      expect(line).toContain(`no host can be used, nothing was run: ${fx.hosts[0]!.sshlogin}: no way to authenticate: ssh-agent ${socket} holds no keys and no identity file found`);
      expect(line).toContain('Set identity_file to a private key the host accepts, or load one into ssh-agent (ssh-add)');
      expect(line).not.toMatch(/ssh-copy-id -i \S+id_ed25519\.pub/);

      // --dry-run says the same, lists it in warnings and exits non-zero.
      const dry = await runTea(tea, ['run', file, '--dry-run', '--json'], { env });
      expect(dry.code).toBe(2);
      const plan = JSON.parse(dry.stdout);
      expect(plan.remote.hosts[0]).toMatchObject({ agent: socket, agent_keys: 0, identities: [], problem: expect.stringContaining('holds no keys') });
      expect(plan.remote.warnings).toEqual([`${fx.hosts[0]!.sshlogin}: ${plan.remote.hosts[0].problem}`]);
    } finally {
      agent.kill('SIGTERM');
    }
  });
});

describe('branch failures', () => {
  it('a failing remote branch: one sentence, the branch named once, no command line', async () => {
    const { file } = workflow(fx.remoteConfig(), { branch: "throw new Error('the disk is full')" });
    const run = await runTea(tea, ['run', file]);
    expect(run.code).toBe(1);
    expect(errorLines(run.stderr)).toEqual([`Error: branch "a" on ${fx.hosts[0]!.sshlogin}: node "a" failed: the disk is full (tea run exited with code 1)`]);
  });

  it('a timeout: which attempt of how many, and the setting to raise', async () => {
    const { file } = workflow(fx.remoteConfig(), {
      branch: 'await new Promise((r) => setTimeout(r, 60000));',
      // Generous: the other branch (and the first upload to the host) must finish well within it on a loaded machine.
      parallel: { timeout_seconds: 5, retry: { max_retries: 1, base_delay: 0.1, jitter: 0 } },
    });
    const run = await runTea(tea, ['run', file]);
    expect(run.code).toBe(1);
    expect(errorLines(run.stderr)).toEqual([
      `Error: branch "a" timed out after 5s on each of 2 attempts (last on ${fx.hosts[0]!.sshlogin}): raise settings.parallel.timeout_seconds if it needs longer, or find why it hangs`,
    ]);
  });
});

describe('host names', () => {
  it('user@::1: says to write the address in brackets', async () => {
    const { file } = workflow({ ...fx.remoteConfig(), hosts: ['tea@::1'] });
    const run = await runTea(tea, ['run', file, '--dry-run']);
    expect(run.code).toBe(2);
    expect(errorLines(run.stderr)).toEqual([
      'Error: settings.parallel.remote.hosts[0]: an IPv6 address must be written in brackets: "tea@[::1]" (with a port: "[::1]:22")',
    ]);
  });

  it('an IPv6 address with a zone id connects (through a loopback relay on ::1 to the sshd)', async () => {
    const h = fx.hosts[0]!;
    const relay = net.createServer((client) => {
      const upstream = net.connect(h.port, h.host);
      client.pipe(upstream).pipe(client);
      client.on('error', () => upstream.destroy());
      upstream.on('error', () => client.destroy());
    });
    await new Promise<void>((resolve) => relay.listen(0, '::1', resolve));
    const port = (relay.address() as net.AddressInfo).port;
    try {
      const knownHosts = writeIn(dir, 'known_hosts_zone', `[::1%lo]:${port} ${h.hostPublicKey}\n`);
      const { file } = workflow({ ...fx.remoteConfig(), hosts: [`${h.user}@[::1%lo]:${port}`], known_hosts: knownHosts });
      const run = await runTea(tea, ['run', file]);
      expect([run.code, errorLines(run.stderr)]).toEqual([0, []]);
      expect(JSON.parse(run.stdout)).toEqual({ n: 2 });
    } finally {
      relay.close();
    }
  });
});

function encryptedKey(): string {
  const key = path.join(dir, 'encrypted_key');
  if (!existsSync(key)) {
    copyFileSync(fx.clientKeyPath, key);
    chmodSync(key, 0o600);
    execFileSync('ssh-keygen', ['-q', '-p', '-P', '', '-N', 'secret words', '-f', key]);
  }
  return key;
}

describe('checked before the first node runs', () => {
  it.each([
    ['a missing identity_file', (r: Record<string, unknown>) => ({ ...r, identity_file: '/nonexistent/key' }), /identity_file: cannot read identity file \/nonexistent\/key: ENOENT/],
    ['a ProxyCommand in ssh_config', (r: Record<string, unknown>) => ({ ...r, ssh_config: writeIn(dir, 'proxycmd_config', 'Host *\n  ProxyCommand nc %h %p\n') }), /ProxyCommand is not supported/],
    ['an encrypted key whose passphrase variable is not set', (r: Record<string, unknown>) => ({ ...r, identity_file: encryptedKey(), passphrase_env: 'TEA_TEST_NO_SUCH_PASS' }), /it is encrypted and TEA_TEST_NO_SUCH_PASS .* is not set in the environment: export TEA_TEST_NO_SUCH_PASS/],
  ])('%s', async (_, edit, message) => {
    const { file, marker } = workflow(edit(fx.remoteConfig()));
    const run = await runTea(tea, ['run', file]);
    expect(run.code).toBe(2);
    expect(existsSync(marker)).toBe(false);
    expect(errorLines(run.stderr)[0]).toMatch(message);
  });

  it('a host name that does not resolve: warned before the first node; with no other host, the run fails before it', async () => {
    const { file, marker } = workflow({ ...fx.remoteConfig(), hosts: ['tea@no-such-host.invalid'] });
    const run = await runTea(tea, ['run', file]);
    expect(run.code).toBe(2);
    expect(existsSync(marker)).toBe(false);
    expect(errorLines(run.stderr)[0]).toContain('tea@no-such-host.invalid:22: cannot resolve host name "no-such-host.invalid" on this machine');
  });
});
