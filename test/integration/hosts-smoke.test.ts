// The local backend, explicitly: real sshd processes on loopback (test/harness/local-sshd.ts).
import { existsSync } from 'node:fs';
import { getHosts, startLocalHosts, type LocalHostsFixture } from '../harness/hosts';
import { smokeHost } from '../harness/smoke';

jest.setTimeout(30_000);

describe('local SSH test hosts', () => {
  let fx: LocalHostsFixture;
  beforeAll(async () => {
    fx = await startLocalHosts({ count: 3 });
  });
  afterAll(() => fx?.stop());

  it('describes three distinct hosts for the remote config', () => {
    expect(fx.backend).toBe('local');
    expect(new Set(fx.hosts.map((h) => h.port)).size).toBe(3);
    const cfg = fx.remoteConfig({ max_channels_per_host: 4 });
    expect(cfg).toMatchObject({
      hosts: fx.hosts.map((h) => `${h.user}@127.0.0.1:${h.port}`),
      identity_file: fx.clientKeyPath,
      known_hosts: fx.knownHostsPath,
      strict_host_key_checking: 'yes',
      max_channels_per_host: 4,
    });
    expect(String(cfg.workdir)).toMatch(/^\/tmp\/tea-it-[0-9a-f]{12}$/);
    expect(existsSync(fx.clientKeyPath)).toBe(true);
  });

  it.each([0, 1, 2])('host %i: ssh2 connect with host key check, exec, SFTP, log', (i) => smokeHost(fx, i));

  it('exec() reports the exit code and stderr', async () => {
    expect(await fx.exec(0, 'echo out; echo err >&2; exit 3')).toEqual({ code: 3, stdout: 'out\n', stderr: 'err\n' });
  });
});

describe('getHosts', () => {
  const saved = process.env.TEA_TEST_HOSTS;
  afterEach(() => {
    if (saved === undefined) delete process.env.TEA_TEST_HOSTS;
    else process.env.TEA_TEST_HOSTS = saved;
  });

  it('defaults to the local backend where sshd is installed', async () => {
    delete process.env.TEA_TEST_HOSTS;
    const fx = await getHosts({ count: 1 });
    try {
      expect(fx.backend).toBe('local');
      await smokeHost(fx, 0);
    } finally {
      await fx.stop();
    }
  });

  it('gives two fixtures different remote workdirs', async () => {
    process.env.TEA_TEST_HOSTS = 'local';
    const [a, b] = await Promise.all([getHosts({ count: 1 }), getHosts({ count: 1 })]);
    try {
      expect(a.remoteConfig().workdir).not.toBe(b.remoteConfig().workdir);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });

  it('fails loudly, saying what to install, when no backend can be had', async () => {
    delete process.env.TEA_TEST_HOSTS;
    const env = { ...process.env };
    process.env.TEA_SSHD = '/nonexistent/sshd';
    process.env.TEA_DOCKER_HOSTS = '/nonexistent/hosts.json';
    try {
      let isolated: typeof import('../harness/hosts') | undefined;
      jest.isolateModules(() => {
        isolated = require('../harness/hosts');
      });
      await expect(isolated!.getHosts()).rejects.toThrow(/No SSH test hosts available[\s\S]*apt-get install -y openssh-server[\s\S]*docker\/up\.sh/);
    } finally {
      process.env = env;
    }
  });

  it('refuses an unknown backend loudly', async () => {
    process.env.TEA_TEST_HOSTS = 'vagrant';
    await expect(getHosts()).rejects.toThrow(/TEA_TEST_HOSTS must be "local" or "docker"/);
  });
});
