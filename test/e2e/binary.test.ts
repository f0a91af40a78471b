// The standalone binary (npm run build:binary) on the docker hosts: a fan-out on the host
// image WITHOUT Node, the per-host basefile choice on mixed hosts, and the preflight
// excluding a host whose workdir is nearly full. Needs dist/tea and dist/tea-linux-x64
// (CI builds both before this suite) and the docker hosts (docker/up.sh).
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DOCKER_SMALL_WORKDIR, startDockerHosts } from '../harness/docker-hosts';
import type { HostsFixture } from '../harness/hosts';
import { freePort } from '../harness/sshd-core';
import { runTea } from '../integration/cli/tea';

jest.setTimeout(300_000);

const DIST = resolve(__dirname, '..', '..', 'dist');
const TEA = join(DIST, 'tea');
const BINARY = join(DIST, `tea-${process.platform}-${process.arch}`);

/** A fan-out of `n` branches; each reports where and on what it ran. */
function fanoutYaml(remote: Record<string, unknown>, n: number, strategy = 'remote'): string {
  const branches = Array.from({ length: n }, (_, i) => `b${i}`);
  return [
    'settings:',
    '  parallel:',
    `    strategy: ${strategy}`,
    `    remote: ${JSON.stringify(remote)}`,
    'nodes:',
    '  - name: start',
    ...branches.flatMap((b) => [
      `  - name: ${b}`,
      '    run: |',
      "      const os = require('node:os');",
      '      return { host: os.hostname(), node: process.version, exec: process.execPath };',
    ]),
    '  - name: join',
    '    run: |',
    '      return { ran: parallel_results.map((r) => ({ ok: r.success, error: r.error, host: r.host, ...(r.state ? { on: r.state.host, node: r.state.node, exec: r.state.exec } : {}) })) };',
    'edges:',
    `  - { from: start, to: [${branches.join(', ')}], type: parallel, fan_in: join }`,
    ...branches.map((b) => `  - { from: ${b}, to: join }`),
    '',
  ].join('\n');
}

interface Ran {
  ok: boolean;
  error: string | null;
  host: string;
  on?: string;
  node?: string;
  /** process.execPath where the branch ran. */
  exec?: string;
}

let scratch: string;
beforeAll(() => {
  for (const file of [TEA, BINARY]) {
    if (!existsSync(file)) throw new Error(`${file} is missing: run "npm run build && npm run build:binary" first`);
  }
  scratch = mkdtempSync(join(tmpdir(), 'tea-e2e-binary-'));
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

async function runWorkflow(yaml: string, tea = TEA): Promise<{ code: number | null; stderr: string; ran: Ran[] }> {
  const dir = mkdtempSync(join(scratch, 'run-'));
  writeFileSync(join(dir, 'wf.yaml'), yaml);
  const run = await runTea(tea, ['run', join(dir, 'wf.yaml'), '--output', join(dir, 'out.json')], { cwd: dir });
  const ran = run.code === 0 ? (JSON.parse(readFileSync(join(dir, 'out.json'), 'utf8')) as { ran: Ran[] }).ran : [];
  return { code: run.code, stderr: run.stderr, ran };
}

describe('the standalone tea binary', () => {
  it('runs a workflow with no Node anywhere: its own process-strategy branches are the binary again', async () => {
    const { code, stderr, ran } = await runWorkflow(fanoutYaml({ hosts: ['unused'] }, 3, 'process'), BINARY);
    expect([code, stderr]).toEqual([0, '']);
    // Each branch ran in a child process that was the binary itself (not node + a script).
    expect(ran.map((r) => [r.ok, r.exec])).toEqual(Array(3).fill([true, BINARY]));
  });
});

describe('a fan-out on the docker host WITHOUT Node', () => {
  let bare: HostsFixture;
  beforeAll(async () => {
    bare = await startDockerHosts({ count: 1, node: false });
  });
  afterAll(() => bare?.stop());

  it('ships the standalone binary (chosen because the host has no node) and runs every branch there', async () => {
    expect((await bare.exec(0, 'command -v node')).code).not.toBe(0);
    const { code, stderr, ran } = await runWorkflow(fanoutYaml(bare.remoteConfig(), 4));
    expect(code).toBe(0);
    expect(ran).toEqual(
      Array(4).fill({ ok: true, error: null, host: bare.hosts[0]!.sshlogin, on: 'tea-bare', node: process.version, exec: expect.stringMatching(/\/\.cache\/tea-[0-9a-f]{16}$/) }),
    );
    const login = bare.hosts[0]!.sshlogin;
    expect(stderr).toContain(`tea: info: ${login}: preflight ok: Linux x86_64, no Node: standalone binary (x86_64) dist/tea-linux-x64 (`);
    expect(stderr).toContain('because the host has no node on its PATH');
    expect(stderr.split('\n').filter((l) => l.includes(`${login}: preflight`))).toHaveLength(1);
  });
});

describe('basefile choice and preflight on several docker hosts', () => {
  let nodeHosts: HostsFixture;
  let bare: HostsFixture;
  beforeAll(async () => {
    nodeHosts = await startDockerHosts({ count: 2 });
    bare = await startDockerHosts({ count: 1, node: false });
  });
  afterAll(async () => {
    await nodeHosts?.stop();
    await bare?.stop();
  });

  const remoteFor = (overrides: Record<string, unknown> = {}) => ({
    ...nodeHosts.remoteConfig(),
    hosts: [...nodeHosts.hosts, ...bare.hosts].map((h) => h.sshlogin),
    ...overrides,
  });

  it('gives each host its own basefile (JS artifact where Node 18 is, the binary where none is); an unreachable one gets nothing', async () => {
    const dead = `tea@127.0.0.1:${await freePort()}`;
    const hosts = [...nodeHosts.hosts.map((h) => h.sshlogin), dead, bare.hosts[0]!.sshlogin];
    const { code, stderr, ran } = await runWorkflow(fanoutYaml(remoteFor({ hosts, connect_timeout: 5 }), 9));
    expect([code, code === 0 ? '' : stderr]).toEqual([0, '']);
    // Unreachable is a connect failure like any other: its flows are retried elsewhere.
    expect(ran.every((r) => r.ok && r.host !== dead)).toBe(true);
    expect(stderr).not.toContain(`${dead}: preflight`);
    const nodeOn = new Map(ran.map((r) => [r.on, r.node]));
    expect(nodeOn.get('tea-bare')).toBe(process.version); // the binary's embedded Node
    expect(nodeOn.get('tea-host1') ?? nodeOn.get('tea-host2')).toMatch(/^v18\./); // the host's own Node
    for (const h of nodeHosts.hosts) expect(stderr).toMatch(new RegExp(`${h.sshlogin}: preflight ok: Linux x86_64, Node v18\\.[\\d.]+: JS artifact dist/tea `));
    expect(stderr).toContain(`${bare.hosts[0]!.sshlogin}: preflight ok: Linux x86_64, no Node: standalone binary (x86_64) dist/tea-linux-x64`);
  });

  it('refuses the hosts\' small tmpfs workdir (noexec, 2 MiB) before any upload, naming each host\'s reason', async () => {
    // Docker mounts a tmpfs noexec by default: tea could upload there but never run.
    const workdir = `${DOCKER_SMALL_WORKDIR}/e2e-${Date.now().toString(36)}`;
    const filler = `${DOCKER_SMALL_WORKDIR}/filler-${Date.now().toString(36)}`;
    await nodeHosts.exec(0, `head -c 1048576 /dev/zero > ${filler}`); // ~1 MiB of 2 left on host1: the JS artifact needs 1.9
    try {
      const { code, stderr } = await runWorkflow(fanoutYaml(remoteFor({ workdir }), 4));
      expect(code).toBe(1);
      const noexec = `workdir ${workdir} (nearest existing: ${DOCKER_SMALL_WORKDIR}) is writable but files there cannot be executed (noexec mount?): choose another workdir`;
      const [host1, host2] = nodeHosts.hosts.map((h) => h.sshlogin);
      const error = stderr.split('\n').find((l) => l.startsWith('Error: '));
      const esc = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      const space = (free: string, need: string) => `${esc(free)} free in ${esc(DOCKER_SMALL_WORKDIR)}, need ${need} \\(${need} to upload \\+ 64 KiB margin\\): free space or choose another workdir`;
      expect(error).toMatch(
        new RegExp(
          `^${esc(`Error: branch "b0" failed: no healthy host left (`)}` +
            `${esc(`${host1}: excluded: unusable (preflight): ${noexec}; `)}${space('1.0 MiB', '\\d\\.\\d MiB')}; ` +
            // host2's 2 MiB may or may not hold the JS artifact (its size follows the code): optional.
            `${esc(`${host2}: excluded: unusable (preflight): ${noexec}`)}(?:; \\d\\.\\d MiB free in ${esc(DOCKER_SMALL_WORKDIR)}, need \\d\\.\\d MiB \\(\\d\\.\\d MiB to upload \\+ 64 KiB margin\\): free space or choose another workdir)?; ` +
            `${esc(`${bare.hosts[0]!.sshlogin}: excluded: unusable (preflight): ${noexec}; `)}${space('2.0 MiB', '8\\d MiB')}` +
            `${esc(') (3 more branches failed)')}$`,
        ),
      );
      expect(stderr.split('\n').filter((l) => l.includes('excluded from this run'))).toHaveLength(3);
      // Nothing was uploaded anywhere: not even the workdir was made.
      expect(stderr).not.toContain('uploaded basefile');
      const places: Array<[HostsFixture, number]> = [[nodeHosts, 0], [nodeHosts, 1], [bare, 0]];
      for (const [fx, i] of places) expect((await fx.exec(i, `test -e ${workdir}`)).code).toBe(1);
    } finally {
      await nodeHosts.exec(0, `rm -rf ${filler} ${workdir}`);
    }
  });
});
