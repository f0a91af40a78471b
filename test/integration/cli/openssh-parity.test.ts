// OpenSSH parity through the built CLI against real sshd: ssh_config's UserKnownHostsFile and
// StrictHostKeyChecking are honoured (YAML unset), and --dry-run shows what ssh -G would resolve.
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { getHosts, type HostsFixture } from '../../harness/hosts';
import { installTea, runTea, writeIn } from './tea';

jest.setTimeout(120_000);

let fx: HostsFixture;
let tea: string;
let dir: string;
beforeAll(async () => {
  fx = await getHosts({ count: 2 });
  ({ tea, dir } = installTea());
});
afterAll(async () => {
  await fx?.stop();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

let n = 0;
/** A fan-out to host alias `target`, whose settings come from an ssh_config written here; HOME is an empty dir. */
function setup(configBody: (h: HostsFixture['hosts'][number]) => string, remote: Record<string, unknown> = {}) {
  n += 1;
  const home = path.join(dir, `home${n}`);
  mkdirSync(home);
  const h = fx.hosts[0]!;
  const config = writeIn(dir, `ssh_config${n}`, `Host target\n  HostName ${h.host}\n  Port ${h.port}\n  User ${h.user}\n  IdentityFile ${fx.clientKeyPath}\n${configBody(h)}`);
  const doc = {
    settings: { parallel: { strategy: 'remote', retry: { max_retries: 0 }, remote: { hosts: ['target'], ssh_config: config, agent: false, workdir: fx.remoteConfig().workdir, ...remote } } },
    nodes: [{ name: 's' }, { name: 'a', run: 'return { a: 1 };' }, { name: 'j', run: 'return { ok: parallel_results.every((r) => r.success) };' }],
    edges: [
      { from: 's', to: ['a'], type: 'parallel', fan_in: 'j' },
      { from: 'a', to: 'j' },
    ],
  };
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home };
  delete env.SSH_AUTH_SOCK;
  return { file: writeIn(dir, `wf${n}.yaml`, JSON.stringify(doc)), home, env, h };
}

it('UserKnownHostsFile from ssh_config: the host key is recorded there (accept-new), not in ~/.ssh/known_hosts', async () => {
  const kh = path.join(dir, 'from-config-known_hosts');
  const { file, home, env, h } = setup(() => `  UserKnownHostsFile ${kh}\n  StrictHostKeyChecking accept-new\n`);
  const run = await runTea(tea, ['run', file], { env });
  expect([run.code, run.stderr.split('\n').filter((l) => l.startsWith('Error'))]).toEqual([0, []]);
  expect(JSON.parse(run.stdout)).toEqual({ ok: true });
  expect(readFileSync(kh, 'utf8')).toBe(`[${h.host}]:${h.port} ${h.hostPublicKey}\n`);
  expect(existsSync(path.join(home, '.ssh', 'known_hosts'))).toBe(false);
  // The next run finds it there: known, nothing added.
  const again = await runTea(tea, ['run', file], { env });
  expect(again.code).toBe(0);
  expect(again.stderr).not.toContain('permanently added');
});

it('StrictHostKeyChecking yes from ssh_config refuses an unknown host, naming the configured file', async () => {
  const kh = path.join(dir, 'empty-known_hosts');
  writeIn(dir, 'empty-known_hosts', '');
  const { file, env } = setup(() => `  UserKnownHostsFile ${kh}\n  StrictHostKeyChecking yes\n`);
  const run = await runTea(tea, ['run', file], { env });
  expect(run.code).toBe(1);
  expect(run.stderr).toMatch(new RegExp(`^Error: .*is not in ${kh.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} and strict_host_key_checking is "yes"`, 'm'));
  expect(readFileSync(kh, 'utf8')).toBe('');
});

it('YAML known_hosts wins over ssh_config UserKnownHostsFile', async () => {
  const { file, env } = setup(() => `  UserKnownHostsFile ${path.join(dir, 'never-used')}\n  StrictHostKeyChecking no\n`, { known_hosts: fx.knownHostsPath, strict_host_key_checking: 'yes' });
  const run = await runTea(tea, ['run', file], { env });
  expect(run.code).toBe(0);
  expect(existsSync(path.join(dir, 'never-used'))).toBe(false);
});

it('--dry-run shows the resolved HostName, port, user, ProxyJump chain and known_hosts per host', async () => {
  const jump = fx.hosts[1]!;
  // identity_file in the YAML applies to the jump host too (ssh_config's Host target block does not).
  const { file, env, h } = setup(() => `  ProxyJump ${jump.user}@${jump.host}:${jump.port}\n  UserKnownHostsFile ${fx.knownHostsPath}\n`, { identity_file: fx.clientKeyPath });
  const dry = await runTea(tea, ['run', file, '--dry-run', '--json'], { env });
  expect(dry.code).toBe(0);
  const plan = JSON.parse(dry.stdout);
  expect(plan.remote.hosts).toEqual([
    expect.objectContaining({
      id: `${h.user}@target:${h.port}`,
      hostname: h.host,
      port: h.port,
      user: h.user,
      jumps: [`${jump.user}@${jump.host}:${jump.port}`],
      known_hosts: fx.knownHostsPath,
      strict_host_key_checking: 'accept-new',
      problem: null,
    }),
  ]);
  const text = await runTea(tea, ['run', file, '--dry-run'], { env });
  expect(text.stdout).toContain(`    connects to ${h.user}@${h.host}:${h.port} via ${jump.user}@${jump.host}:${jump.port}\n`);
  // And the jump chain works for real.
  const run = await runTea(tea, ['run', file], { env });
  expect([run.code, JSON.parse(run.stdout)]).toEqual([0, { ok: true }]);
});
