// The edge-device containers (docker/edge.Dockerfile): Dropbear, BusyBox as the only userland,
// no Node. First proven to be what they claim, then a real remote fan-out runs on them with the
// standalone binary tea ships, and every branch's result is checked, and that nothing (no run
// directory, no temp upload, no process) is left. Needs dist/tea, dist/tea-linux-x64 and the
// docker hosts (docker/up.sh), as CI provides.
import { connect as tcpConnect } from 'node:net';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startDockerHosts } from '../harness/docker-hosts';
import type { HostsFixture } from '../harness/hosts';
import { smokeHost } from '../harness/smoke';
import { connectHost } from '../harness/ssh-connect';
import { runTea } from '../integration/cli/tea';

jest.setTimeout(300_000);

const DIST = resolve(__dirname, '..', '..', 'dist');
const TEA = join(DIST, 'tea');
const BINARY = join(DIST, 'tea-linux-x64');

function banner(port: number): Promise<string> {
  return new Promise((res, rej) => {
    const s = tcpConnect(port, '127.0.0.1');
    s.once('data', (d) => (s.destroy(), res(d.toString().split('\r\n')[0] ?? '')));
    s.once('error', rej);
  });
}

/** A fan-out of n branches; each reports where, with what and with which input it ran. */
function fanoutYaml(remote: Record<string, unknown>, n: number): string {
  const branches = Array.from({ length: n }, (_, i) => `b${i}`);
  return [
    'settings:',
    '  parallel:',
    '    strategy: remote',
    `    remote: ${JSON.stringify(remote)}`,
    'nodes:',
    '  - name: start',
    '    run: |',
    '      return { seed: 7 };',
    ...branches.flatMap((b, i) => [
      `  - name: ${b}`,
      '    run: |',
      "      const os = require('node:os');",
      `      return { branch: ${JSON.stringify(b)}, value: state.seed * ${i + 1}, host: os.hostname(), exec: process.execPath };`,
    ]),
    '  - name: join',
    '    run: |',
    '      return { ran: parallel_results.map((r) => ({ ok: r.success, error: r.error, ...(r.state ? { branch: r.state.branch, value: r.state.value, on: r.state.host, exec: r.state.exec } : {}) })) };',
    'edges:',
    `  - { from: start, to: [${branches.join(', ')}], type: parallel, fan_in: join }`,
    ...branches.map((b) => `  - { from: ${b}, to: join }`),
    '',
  ].join('\n');
}

let scratch: string;
beforeAll(() => {
  for (const file of [TEA, BINARY]) {
    if (!existsSync(file)) throw new Error(`${file} is missing: run "npm run build && npm run build:binary" first`);
  }
  scratch = mkdtempSync(join(tmpdir(), 'tea-e2e-edge-'));
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

async function runFanout(remote: Record<string, unknown>, n: number) {
  const dir = mkdtempSync(join(scratch, 'run-'));
  writeFileSync(join(dir, 'wf.yaml'), fanoutYaml(remote, n));
  const run = await runTea(TEA, ['run', join(dir, 'wf.yaml'), '--output', join(dir, 'out.json')], { cwd: dir });
  const out = run.code === 0 ? (JSON.parse(readFileSync(join(dir, 'out.json'), 'utf8')) as { ran: unknown[] }) : { ran: [] };
  return { ...run, ran: out.ran };
}

/** Processes of the login user `tea` in the container, as "pid ppid user args" lines (BusyBox ps), but this probe's own. */
async function teaProcesses(fx: HostsFixture): Promise<string[]> {
  const { stdout } = await fx.exec(0, 'me=$$; ps -o pid,ppid,user,args | awk -v me="$me" \'$3 == "tea" && $1 != me && $2 != me\'');
  return stdout.split('\n').filter((l) => l.trim());
}

describe.each([
  ['tea-edge-sftp', 'external'],
  ['tea-edge', 'none'],
] as const)('the edge device %s', (_container, sftp) => {
  let fx: HostsFixture;
  beforeAll(async () => {
    fx = await startDockerHosts({ count: 1, kind: 'edge', sftp });
  });
  afterAll(() => fx?.stop());

  it('is Dropbear + BusyBox only: /bin/sh is BusyBox ash, no Node, bash, perl or coreutils', async () => {
    expect(fx.hosts[0]).toMatchObject({ server: 'dropbear', sftp, user: 'tea' });
    expect(await banner(fx.hosts[0]!.port)).toMatch(/^SSH-2\.0-dropbear_/);
    expect(await fx.exec(0, 'readlink /bin/sh; echo "$0"; busybox | head -n 1')).toMatchObject({ code: 0, stdout: expect.stringMatching(/^\/bin\/busybox\nsh\nBusyBox v1\.\d+/) });
    const missing = await fx.exec(0, 'for p in node bash perl python3 apt coreutils; do command -v $p >/dev/null || echo "no $p"; done');
    expect(missing.stdout).toBe('no node\nno bash\nno perl\nno python3\nno apt\nno coreutils\n');
    // Every program in the image's bin dirs is a link to busybox, but dropbear and the entrypoint
    // (/sbin/docker-init is the engine's, mounted for compose's `init: true`).
    const others = await fx.exec(0, 'for f in /bin/* /sbin/* /usr/bin/* /usr/sbin/* /usr/lib/sftp-server; do [ -e "$f" ] && [ "$f" != /sbin/docker-init ] || continue; [ "$(readlink "$f")" = /bin/busybox ] || echo "$f"; done');
    expect(others.stdout.trim().split('\n').sort()).toEqual(
      ['/bin/busybox', '/usr/sbin/dropbear', '/usr/sbin/tea-edge-entrypoint', ...(sftp === 'external' ? ['/usr/lib/sftp-server'] : [])].sort(),
    );
  });

  it(sftp === 'external' ? 'passes the smoke check (SFTP through its sftp-server)' : 'has no sftp-server: the subsystem exits 127', async () => {
    if (sftp === 'external') return smokeHost(fx, 0);
    const c = await connectHost(fx, 0);
    try {
      const err = await new Promise<string>((res) => c.sftp((e) => res(e ? e.message : 'opened')));
      expect(err).toMatch(/exit code 127/);
    } finally {
      c.end();
    }
  });

});

// Both devices: through the sftp-server where there is one, over exec channels where there is
// none (transfer: auto picks it in the preflight).
describe.each([
  ['tea-edge-sftp', 'external', 'sftp'],
  ['tea-edge', 'none', 'exec'],
] as const)('a fan-out on the edge device %s (BusyBox + Dropbear)', (container, sftp, transfer) => {
  let fx: HostsFixture;
  beforeAll(async () => {
    fx = await startDockerHosts({ count: 1, kind: 'edge', sftp });
  });
  afterAll(() => fx?.stop());

  it(`runs a remote fan-out with the shipped standalone binary (files over ${transfer}): every branch's result, nothing left behind`, async () => {
    // A workdir of its own inside the fixture's (which stop() removes), made first so /tmp's
    // listing before the run already has it.
    const workdir = `${String(fx.remoteConfig().workdir)}/fanout`;
    expect(await fx.exec(0, `mkdir -p ${String(fx.remoteConfig().workdir)}`)).toMatchObject({ code: 0 });
    const tmpBefore = (await fx.exec(0, 'ls -A /tmp')).stdout;
    const remote = fx.remoteConfig({ workdir });
    const n = 6;
    const run = await runFanout(remote, n);
    expect([run.code, run.code === 0 ? '' : run.stderr]).toEqual([0, '']);
    expect(run.ran).toEqual(
      Array.from({ length: n }, (_, i) => ({
        ok: true, error: null, branch: `b${i}`, value: 7 * (i + 1), on: container, exec: expect.stringMatching(/\/\.cache\/tea-[0-9a-f]{16}$/),
      })),
    );
    expect(run.stderr).toContain(`${fx.hosts[0]!.sshlogin}: preflight ok: Linux x86_64, no Node: standalone binary (x86_64) dist/tea-linux-x64`);
    // Nothing left: the workdir holds only the basefile cache (no run dir, no temp upload),
    // /tmp is as before, and no process of the login user outlives the run.
    const left = (await fx.exec(0, `ls -A ${workdir}; ls -A ${workdir}/.cache`)).stdout.split('\n').filter(Boolean);
    // With the run's log beside the listing when something is left, to tell why.
    const leftover = left.length !== 2;
    expect({ left, log: leftover ? run.stderr : '' }).toEqual({ left: ['.cache', expect.stringMatching(/^tea-[0-9a-f]{16}$/)], log: '' });
    expect((await fx.exec(0, 'ls -A /tmp')).stdout).toBe(tmpBefore);
    expect(await teaProcesses(fx)).toEqual([]);
  });
});
