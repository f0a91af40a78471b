/** The CLI scenario on the docker hosts: Debian's Node 18 runs the shipped dist/tea. */
import { getHosts, type HostsFixture } from '../harness/hosts';
import { expectExampleResult, runExampleOnHosts } from '../integration/remote/cli-scenario';

jest.setTimeout(180_000);

let fx: HostsFixture;
beforeAll(async () => {
  fx = await getHosts({ count: 3 });
  if (fx.backend !== 'docker') throw new Error('the e2e suite runs on the docker hosts: TEA_TEST_HOSTS=docker npm run test:e2e');
});
afterAll(async () => {
  await fx?.stop();
});

it('tea run fans out over the docker hosts with strategy remote', () => {
  const run = runExampleOnHosts(fx);
  expectExampleResult(fx, run);
});

it('cleans up the run directory on every container', async () => {
  runExampleOnHosts(fx);
  for (let i = 0; i < fx.hosts.length; i += 1) {
    const { stdout } = await fx.exec(i, `ls -A ${fx.remoteConfig().workdir as string} 2>/dev/null || true`);
    expect(stdout.split('\n').filter((e) => e && e !== '.cache')).toEqual([]);
  }
});
