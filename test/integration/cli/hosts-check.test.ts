import { rmSync } from 'node:fs';
import { startLocalHosts, type LocalHostsFixture } from '../../harness/hosts';
import { freePort } from '../../harness/sshd-core';
import { installTea, runTea, writeIn } from './tea';

jest.setTimeout(120_000);

let fx: LocalHostsFixture;
let tea: string;
let dir: string;
beforeAll(async () => {
  fx = await startLocalHosts({ count: 2 });
  ({ tea, dir } = installTea());
});
afterAll(async () => {
  await fx?.stop();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

const workflow = (hosts: string[]) =>
  writeIn(
    dir,
    'wf.yaml',
    `settings:\n  parallel:\n    strategy: remote\n    remote: ${JSON.stringify(fx.remoteConfig({ hosts, connect_timeout: 5 }))}\nnodes:\n  - name: a\n`,
  );

describe('tea hosts check', () => {
  it('prints one row per host and exits 0 when every host is usable', async () => {
    const run = await runTea(tea, ['hosts', 'check', workflow(fx.hosts.map((h) => h.sshlogin))]);
    expect([run.code, run.stderr]).toEqual([0, '']);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^HOST +STATUS +REASON$/);
    expect(lines.slice(1).map((l) => l.split(/ +/).slice(0, 2))).toEqual(fx.hosts.map((h) => [`127.0.0.1:${h.port}`, 'ok']));
    expect(lines[1]).toContain(`Linux x86_64, Node ${process.version}: JS artifact `);
  });

  it('exits 1 naming the reason of an unusable host, and --json gives every check', async () => {
    const port = await freePort();
    const file = workflow([fx.hosts[0]!.sshlogin, `root@127.0.0.1:${port}`]);
    const run = await runTea(tea, ['hosts', 'check', file]);
    expect(run.code).toBe(1);
    const rows = run.stdout.trimEnd().split('\n').slice(1);
    expect(rows[0]).toMatch(new RegExp(`^127\\.0\\.0\\.1:${fx.hosts[0]!.port} +ok `));
    expect(rows[1]).toBe(`127.0.0.1:${port}  unusable  unreachable: connection refused by 127.0.0.1:${port}: is sshd running and listening on port ${port}?`);

    const json = await runTea(tea, ['hosts', 'check', file, '--json']);
    expect(json.code).toBe(1);
    const reports = JSON.parse(json.stdout) as Array<Record<string, unknown>>;
    expect(reports.map((r) => [r.host, r.status])).toEqual([
      [fx.hosts[0]!.sshlogin, 'ok'],
      [`root@127.0.0.1:${port}`, 'unusable'],
    ]);
    expect(reports[0]).toMatchObject({ basefile: tea, facts: { os: 'Linux', node: process.version, writable: true } });
    expect(reports[1]!.checks).toEqual([{ name: 'reachable', level: 'fail', detail: expect.stringMatching(/^unreachable: connection refused/) }]);
  });

  it('checks that sshd passes the variables env_vars mode ssh_env would send (AcceptEnv TEA_* here)', async () => {
    const remote = fx.remoteConfig({ hosts: [fx.hosts[0]!.sshlogin], env_vars: { mode: 'ssh_env', include: ['TEA_CHECK_OK', 'OTHER_CHECK'] } });
    const file = writeIn(dir, 'env.yaml', `settings:\n  parallel:\n    strategy: remote\n    remote: ${JSON.stringify(remote)}\nnodes:\n  - name: a\n`);
    const run = await runTea(tea, ['hosts', 'check', file, '--json'], { env: { ...process.env, TEA_CHECK_OK: 'x', OTHER_CHECK: 'secret-value' } });
    // A warning (the branches may not need every variable): usable, exit 0.
    expect(run.code).toBe(0);
    expect(run.stdout).not.toContain('secret-value');
    const [report] = JSON.parse(run.stdout) as Array<{ status: string; checks: Array<{ name: string; level: string; detail: string }> }>;
    expect(report!.status).toBe('warn');
    expect(report!.checks.find((c) => c.name === 'accept_env')).toEqual({
      name: 'accept_env',
      level: 'warn',
      detail: 'sshd does not pass OTHER_CHECK (its AcceptEnv): add "AcceptEnv OTHER_CHECK" to the host\'s sshd_config, or use another env_vars mode',
    });
  });

  it('exits 2 for bad usage and a workflow without hosts', async () => {
    expect(await runTea(tea, ['hosts', 'ping'])).toMatchObject({ code: 2, stderr: 'Error: tea hosts: unknown subcommand "ping" (see "tea hosts --help")\n' });
    expect(await runTea(tea, ['hosts', 'check'])).toMatchObject({ code: 2, stderr: 'Error: tea hosts check: expected one workflow file, got 0 (see "tea hosts --help")\n' });
    const local = writeIn(dir, 'local.yaml', 'nodes:\n  - name: a\n');
    expect(await runTea(tea, ['hosts', 'check', local])).toMatchObject({ code: 2, stderr: 'Error: settings.parallel.remote: not set: the workflow has no hosts to check\n' });
  });
});
