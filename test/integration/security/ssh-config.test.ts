import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startLocalHosts, type LocalHostsFixture } from '../../harness/hosts';
import { freePort } from '../../harness/sshd-core';
import { flow, runFlows, scratch } from './helpers';

jest.setTimeout(120_000);

let fx: LocalHostsFixture;
let sshConfig: string;
const dir = scratch();

beforeAll(async () => {
  // Host 0 logs at DEBUG1, where sshd names each direct-tcpip (ProxyJump) channel's target.
  fx = await startLocalHosts({ count: 2, sshdOptions: [{ LogLevel: 'DEBUG1' }, {}] });
  const [jump, target] = fx.hosts as [typeof fx.hosts[0], typeof fx.hosts[0]];
  sshConfig = join(dir, 'config');
  writeFileSync(
    sshConfig,
    `# written by ssh-config.test.ts
Host tea-target
  HostName 127.0.0.1
  Port ${target.port}
  ConnectTimeout 5
Host tea-jump
  HostName 127.0.0.1
  Port ${jump.port}
Host tea-via-jump
  HostName 127.0.0.1
  Port ${target.port}
  ProxyJump tea-jump
Host tea-via-jump-to-nowhere
  HostName 127.0.0.1
  Port ${await freePort()}
  ProxyJump tea-jump
Host tea-*
  User ${target.user}
  IdentityFile ${fx.clientKeyPath}
`,
  );
});
afterAll(async () => {
  await fx?.stop();
});

// No identity_file in the YAML: everything comes from ssh_config.
const viaConfig = (hosts: string[], extra: Record<string, unknown> = {}) => ({ hosts, identity_file: undefined, ssh_config: sshConfig, ...extra });

describe('ssh_config against real sshd', () => {
  it('connects to an alias with HostName, Port, User and IdentityFile from ssh_config; the alias names the host', async () => {
    const logins = fx.countConnections(1);
    const { results } = await runFlows(fx, [flow('work', { n: 5 }), flow('shout', { word: 'hi' })], viaConfig(['tea-target']));
    expect(results.map((r) => [r.success, r.host])).toEqual([
      [true, `${fx.hosts[1]!.user}@tea-target:${fx.hosts[1]!.port}`],
      [true, `${fx.hosts[1]!.user}@tea-target:${fx.hosts[1]!.port}`],
    ]);
    expect(results[0]!.state).toMatchObject({ doubled: 10 });
    expect(fx.countConnections(1) - logins).toBe(1);
  });

  it('hops through a ProxyJump host over ssh2 (a direct-tcpip channel, no ssh process), verifying both host keys', async () => {
    const before = [fx.countConnections(0), fx.countConnections(1)];
    const jumpLog = fx.readLog(0).length;
    const { results } = await runFlows(fx, [flow('work', { n: 6 }), flow('work', { n: 7 })], viaConfig(['tea-via-jump']));
    expect(results.map((r) => r.success)).toEqual([true, true]);
    expect(results[0]!.state).toMatchObject({ doubled: 12 });
    // One login on the jump host, one on the target through it, for the whole run.
    expect([fx.countConnections(0) - before[0]!, fx.countConnections(1) - before[1]!]).toEqual([1, 1]);
    const forwarded = fx.readLog(0).slice(jumpLog).match(/server_request_direct_tcpip: .*target 127\.0\.0\.1 port (\d+)/g) ?? [];
    expect(forwarded).toEqual([expect.stringContaining(`target 127.0.0.1 port ${fx.hosts[1]!.port}`)]);
  });

  it('refuses a jump host whose key is not known, naming the target and the jump host', async () => {
    const knownHosts = join(dir, 'target-only');
    writeFileSync(knownHosts, `[127.0.0.1]:${fx.hosts[1]!.port} ${fx.hosts[1]!.hostPublicKey}\n`);
    const logins = fx.countConnections(1);
    const { results } = await runFlows(fx, [flow('work')], viaConfig(['tea-via-jump'], { known_hosts: knownHosts, strict_host_key_checking: 'yes' }));
    expect(results[0]).toMatchObject({ success: false, error_type: 'E_HOST_KEY_REJECTED' });
    const user = fx.hosts[1]!.user;
    expect(results[0]!.error).toContain(`${user}@tea-via-jump:${fx.hosts[1]!.port}: via ProxyJump ${user}@tea-jump:${fx.hosts[0]!.port}: host [127.0.0.1]:${fx.hosts[0]!.port} is not in`);
    expect(fx.countConnections(1)).toBe(logins);
  });

  it('says which hop failed when the jump host cannot reach the target', async () => {
    const { results } = await runFlows(fx, [flow('work')], viaConfig(['tea-via-jump-to-nowhere']));
    expect(results[0]).toMatchObject({ success: false, error_type: 'E_CONNECT_FAILED' });
    expect(results[0]!.error).toMatch(/: via ProxyJump \S+@tea-jump:\d+: cannot open a connection to 127\.0\.0\.1:\d+ \(.*\): is sshd listening there/);
  });
});
