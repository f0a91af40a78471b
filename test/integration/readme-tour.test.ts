/**
 * Walks the README's "Getting tea" and "A 5-minute tour" as a newcomer would: `npm link`
 * (into a temporary prefix, not the machine's), then the tour's commands on the tour's own
 * workflow (read from the README), against real sshd hosts, with the key and known_hosts set
 * up as the tour says (in a temporary HOME). Each command is looked up in the README first,
 * so the README and this test cannot drift apart.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { getHosts, type HostsFixture } from '../harness/hosts';

jest.setTimeout(180_000);

const root = path.resolve(__dirname, '..', '..');
const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
let fx: HostsFixture;
let dir: string;
let tea: string;

function sh(file: string, args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv }): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { ...opts, timeout: 120_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
  });
}
/** The README must show this command (so the tour the test walks is the one printed). */
function fromReadme(command: string): string[] {
  expect(readme).toContain(command);
  return command.split(' ').slice(1);
}

beforeAll(async () => {
  fx = await getHosts({ count: 2 });
  dir = mkdtempSync(path.join(os.tmpdir(), 'tea-tour-'));
});
afterAll(async () => {
  await fx?.stop();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

it('npm link puts the package bin `tea` on the PATH (here: a temporary prefix)', async () => {
  expect(readme).toContain('`npm link` in this directory');
  const prefix = path.join(dir, 'prefix');
  const link = await sh('npm', ['link', '--no-audit', '--no-fund'], { cwd: root, env: { ...process.env, npm_config_prefix: prefix } });
  expect([link.code, link.stderr]).toEqual([0, expect.any(String)]);
  tea = path.join(prefix, 'bin', 'tea');
  const version = await sh(tea, ['--version'], { cwd: dir, env: process.env });
  expect(version).toMatchObject({ code: 0, stdout: `${JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')).version}\n` });
});

it('walks the tour: the fan-out in this process, then on the hosts; --dry-run; --output, --joblog, --json', async () => {
  // Step 2's workflow, as printed.
  const block = /2\. \*\*Write a fan-out\.\*\*[\s\S]*?```yaml\n([\s\S]*?)```/.exec(readme)?.[1];
  expect(block).toBeDefined();
  const workflowText = block!.replace(/^ {3}/gm, '');
  const wf = path.join(dir, 'wf.yaml');
  writeFileSync(wf, workflowText);
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: path.join(dir, 'home') };
  delete env.SSH_AUTH_SOCK;
  mkdirSync(env.HOME!, { recursive: true });
  const run = (args: string[]) => sh(tea, args, { cwd: dir, env });

  const local = await run(fromReadme('tea run wf.yaml'));
  expect(local.code).toBe(0);
  expect(JSON.parse(local.stdout)).toEqual({ items: [1, 2, 3], n: 2 });

  // Step 3: hosts only, as the tour writes it (here the fixture's hosts instead of server1/server2).
  expect(readme).toContain('Add `settings.parallel: { strategy: remote, remote: { hosts:');
  const doc = YAML.parseDocument(workflowText);
  doc.set('settings', { parallel: { strategy: 'remote', remote: { hosts: fx.hosts.map((h) => h.sshlogin), workdir: fx.remoteConfig().workdir } } });
  writeFileSync(wf, String(doc));

  // Before the keys are set up, --dry-run says there is no way to log in, and exits non-zero.
  const noKey = await run(fromReadme('tea run wf.yaml --dry-run'));
  expect(noKey.code).toBe(2);
  expect(noKey.stdout).toContain('UNUSABLE: no way to authenticate');

  // The tour's key setup: a default key (~/.ssh/id_ed25519) the hosts accept, their keys in ~/.ssh/known_hosts.
  mkdirSync(path.join(env.HOME!, '.ssh'), { mode: 0o700 });
  copyFileSync(fx.clientKeyPath, path.join(env.HOME!, '.ssh', 'id_ed25519'));
  copyFileSync(fx.knownHostsPath, path.join(env.HOME!, '.ssh', 'known_hosts'));
  const dry = await run(fromReadme('tea run wf.yaml --dry-run'));
  expect(dry.code).toBe(0);
  for (const h of fx.hosts) expect(dry.stdout).toContain(`connects to ${h.sshlogin}`);
  expect(dry.stdout).toContain(`auth ${path.join(env.HOME!, '.ssh', 'id_ed25519')}`);

  const real = await run(fromReadme('tea run wf.yaml --output out.json --joblog jobs.tsv'));
  expect([real.code, real.stderr.split('\n').filter((l) => l.startsWith('Error'))]).toEqual([0, []]);
  expect(JSON.parse(readFileSync(path.join(dir, 'out.json'), 'utf8'))).toEqual({ items: [1, 2, 3], n: 2 });
  const rows = readFileSync(path.join(dir, 'jobs.tsv'), 'utf8').trim().split('\n');
  expect(rows).toHaveLength(3); // header + one row per branch attempt
  expect(rows.slice(1).map((r) => r.split('\t')[1])).toEqual(expect.arrayContaining([expect.stringMatching(/@127\.0\.0\.1:\d+$/)]));

  expect(readme).toContain('`--json` prints a summary for scripts');
  const json = await run(['run', 'wf.yaml', '--json']);
  expect(json.code).toBe(0);
  expect(JSON.parse(json.stdout)).toMatchObject({ status: 'succeeded', fanouts: [{ node: 'split', branches: 2, succeeded: 2 }] });
});
