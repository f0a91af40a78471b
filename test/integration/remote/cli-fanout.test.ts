import { getHosts, type HostsFixture } from '../../harness/hosts';
import { expectExampleResult, runExampleOnHosts } from './cli-scenario';

jest.setTimeout(180_000);

let fx: HostsFixture;
beforeAll(async () => {
  fx = await getHosts({ count: 3 });
});
afterAll(async () => {
  await fx?.stop();
});

it('tea run fans examples/remote-fanout.yaml out over real SSH hosts and continues at the fan-in', () => {
  const before = fx.hosts.map((_, i) => fx.countConnections(i));
  const run = runExampleOnHosts(fx);
  expectExampleResult(fx, run);
  // 3 branches over 3 hosts: each host that ran one was logged into exactly once.
  const logins = fx.hosts.map((_, i) => fx.countConnections(i) - before[i]!);
  expect(logins.every((n) => n <= 1)).toBe(true);
  expect(logins.reduce((a, b) => a + b, 0)).toBe(3);
});

it('per-edge parallel_strategy: remote fans out remotely while the global strategy stays thread', () => {
  const run = runExampleOnHosts(fx, {}, [], (doc) => {
    doc.setIn(['settings', 'parallel', 'strategy'], 'thread');
    doc.setIn(['edges', 1, 'parallel_strategy'], 'remote');
  });
  expectExampleResult(fx, run);
});

it('a bad remote setting stops the run before any connection, naming the path, exit 2', () => {
  const before = fx.hosts.map((_, i) => fx.countConnections(i));
  const run = runExampleOnHosts(fx, { hosts: ['tea@good-host', 'x@bad host'] });
  expect(run.status).toBe(2);
  expect(run.stderr).toMatch(/settings\.parallel\.remote\.hosts\[1\]: invalid host name "bad host"/);
  expect(run.state).toBeNull();
  expect(fx.hosts.map((_, i) => fx.countConnections(i))).toEqual(before);
});
