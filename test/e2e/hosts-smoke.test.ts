// The docker backend, explicitly: the containers docker/up.sh started. Fails (never skips)
// when they are not up: the error says how to start them.
import { startDockerHosts, DOCKER_SMALL_WORKDIR } from '../harness/docker-hosts';
import type { HostsFixture } from '../harness/hosts';
import { smokeHost } from '../harness/smoke';

jest.setTimeout(60_000);

describe('docker SSH test hosts with Node', () => {
  let fx: HostsFixture;
  beforeAll(async () => {
    fx = await startDockerHosts({ count: 3 });
  });
  afterAll(() => fx?.stop());

  it('are three hosts logging in the non-root user tea', () => {
    expect(fx.backend).toBe('docker');
    expect(fx.hosts.map((h) => h.user)).toEqual(['tea', 'tea', 'tea']);
    expect(fx.remoteConfig().hosts).toEqual(fx.hosts.map((h) => `tea@127.0.0.1:${h.port}`));
  });

  it.each([0, 1, 2])('host %i: ssh2 connect with host key check, exec, SFTP, log', (i) => smokeHost(fx, i));

  it.each([0, 1, 2])('host %i has Node 18, perl, rsync and a 2 MiB workdir', async (i) => {
    const res = await fx.exec(i, `node --version && perl -e 'print "perl\\n"' && rsync --version | head -n1 && df -k ${DOCKER_SMALL_WORKDIR} | tail -n1`);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/^v18\.\d+\.\d+\nperl\nrsync +version/);
    const dfLine = res.stdout.trim().split('\n').pop() ?? '';
    expect(Number(dfLine.split(/\s+/)[1])).toBe(2048); // 1K-blocks
  });
});

describe('docker SSH test host without Node', () => {
  let fx: HostsFixture;
  beforeAll(async () => {
    fx = await startDockerHosts({ count: 1, node: false });
  });
  afterAll(() => fx?.stop());

  it('passes the smoke check', () => smokeHost(fx, 0));

  it('has no node but has perl and rsync', async () => {
    expect(await fx.exec(0, 'node --version')).toMatchObject({ code: 127, stdout: '' });
    expect(await fx.exec(0, 'command -v perl rsync')).toMatchObject({ code: 0 });
  });
});
