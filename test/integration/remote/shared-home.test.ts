// Issue 14: hosts that share a home directory (NFS). The harness's hosts log in the same
// account, so two loopback sshd ports ARE two hosts with one home: each host of a run gets
// its own run directory (layout.ts), both stage the shared .cache at once (temp name +
// rename), and nothing is left but the basefile cache.
import { parseParallelConfig } from '../../../src/config/parallel';
import { RemoteExecutor } from '../../../src/remote/executor';
import { hostSlug } from '../../../src/remote/host/layout';
import { getHosts, type HostsFixture } from '../../harness/hosts';
import { capture, flow } from './helpers';

jest.setTimeout(120_000);

let fx: HostsFixture;
beforeAll(async () => {
  fx = await getHosts({ count: 2 });
});
afterAll(async () => {
  await fx?.stop();
});

it('two hosts sharing a home: each uses its own run directory, both stage one .cache, nothing is left', async () => {
  const home = await fx.exec(0, 'pwd -P');
  const other = await fx.exec(1, 'pwd -P');
  expect(other.stdout).toBe(home.stdout); // the premise: one home for both hosts
  const workdir = `${fx.remoteConfig().workdir}-nfs`;
  const captured = capture();
  const executor = new RemoteExecutor(captured.context);
  try {
    const config = parseParallelConfig({ strategy: 'remote', retry: { max_retries: 0 }, remote: fx.remoteConfig({ workdir }) });
    const results = await executor.execute(Array.from({ length: 12 }, (_, i) => flow('work', { n: i })), config);
    expect(results.map((r) => r.success)).toEqual(Array(12).fill(true));
    expect(results.map((r) => (r.state as { doubled: number }).doubled)).toEqual(Array.from({ length: 12 }, (_, i) => i * 2));
    const hosts = fx.hosts.map((h) => h.sshlogin);
    expect(new Set(results.map((r) => r.host))).toEqual(new Set(hosts)); // both used
    // Each branch ran in its own host's run directory.
    for (const r of results) {
      const cwd = (r.state as { cwd: string }).cwd;
      expect(cwd).toContain(`/run-${executor.runId}-${hostSlug(r.host!)}/`);
    }
    expect(hostSlug(hosts[0]!)).not.toBe(hostSlug(hosts[1]!));
    // Both hosts staged the basefile into the one .cache: no temp upload left, one basefile.
    const cache = (await fx.exec(0, `ls -A ${workdir}/.cache`)).stdout.split('\n').filter(Boolean);
    expect(cache.filter((f) => f.includes('.tmp-'))).toEqual([]);
    expect(cache.filter((f) => f.startsWith('tea-') && !f.endsWith('.v8cache'))).toHaveLength(1);
  } finally {
    await executor.close();
  }
  const left = (await fx.exec(0, `ls -A ${workdir}`)).stdout.split('\n').filter(Boolean);
  expect(left).toEqual(['.cache']);
  await fx.exec(0, `rm -rf ${workdir}`);
});
