import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseParallelConfig } from '../../../src/config/parallel';
import { checkHosts } from '../../../src/remote/host/check-hosts';
import { RemoteExecutor } from '../../../src/remote/executor';
import type { PreflightReport } from '../../../src/remote/host/preflight';
import { VERSION } from '../../../src/version';
import { loadWorkflow } from '../../../src/workflow/load';
import { EM, writeFakeElf } from '../../harness/elf';
import { startLocalHosts, type LocalHostsFixture } from '../../harness/hosts';
import { capture, flow } from './helpers';

jest.setTimeout(120_000);

const JS_ARTIFACT = join(__dirname, '..', '..', '..', 'dist', 'tea');

let fx: LocalHostsFixture;
let scratch: string;
beforeAll(async () => {
  fx = await startLocalHosts({ count: 3 });
  scratch = mkdtempSync(join(tmpdir(), 'tea-preflight-it-'));
  chmodSync(scratch, 0o755); // the hosts' login user (not root) reaches the mounts below
});
afterAll(async () => {
  await fx?.stop();
  if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
});

const workflowWith = (remote: Record<string, unknown>) =>
  loadWorkflow(`settings:\n  parallel:\n    strategy: remote\n    remote: ${JSON.stringify(remote)}\nnodes:\n  - name: a\n`);
const check = (overrides: Record<string, unknown> = {}, acceptEnv: string[] = []) =>
  checkHosts(workflowWith(fx.remoteConfig(overrides)), { acceptEnv });
const checkOf = (report: PreflightReport, name: string) => report.checks.find((c) => c.name === name);

/** Runs `fn` with a tmpfs of `sizeKiB` mounted at a fresh directory (the tests run as root, as CI does). */
async function withTmpfs<T>(sizeKiB: number, options: string, fn: (dir: string) => Promise<T>): Promise<T> {
  if (process.getuid?.() !== 0) throw new Error('this test mounts a tmpfs: run it as root (CI does)');
  const dir = mkdtempSync(join(scratch, 'mnt-'));
  chmodSync(dir, 0o755);
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeKiB}k,mode=1777${options ? `,${options}` : ''}`, 'tmpfs', dir]);
  try {
    return await fn(dir);
  } finally {
    execFileSync('umount', [dir]);
    rmSync(dir, { recursive: true, force: true });
  }
}

async function runFlows(remote: Record<string, unknown>, n: number) {
  const captured = capture();
  const executor = new RemoteExecutor(captured.context);
  try {
    const config = parseParallelConfig({ strategy: 'remote', retry: { max_retries: 0 }, remote: fx.remoteConfig(remote) });
    const results = await executor.execute(Array.from({ length: n }, (_, i) => flow('work', { n: i })), config);
    return { results, executor, ...captured };
  } finally {
    await executor.close();
  }
}

describe('preflight against real sshd', () => {
  it('passes a healthy host: reachable, host key known, authenticated, JS artifact for its Node, space, workdir', async () => {
    const [report] = await check({ hosts: [fx.hosts[0]!.sshlogin] });
    expect(report).toMatchObject({ status: 'ok', address: `127.0.0.1:${fx.hosts[0]!.port}` });
    expect(report!.checks.map((c) => [c.name, c.level])).toEqual([
      ['reachable', 'ok'],
      ['host_key', 'ok'],
      ['authenticated', 'ok'],
      ['login_shell', 'ok'],
      ['transfer', 'ok'],
      ['basefile', 'ok'],
      ['workdir', 'ok'],
      ['leftovers', 'ok'],
      ['cached_basefile', 'ok'],
      ['disk_space', 'ok'],
    ]);
    expect(checkOf(report!, 'leftovers')!.detail).toBe('no leftovers of earlier runs');
    expect(checkOf(report!, 'host_key')!.detail).toBe('matches known_hosts');
    // transfer auto: the harness's internal-sftp works beside exec.
    expect(report!.transfer).toEqual({ kind: 'sftp', level: 'ok', detail: 'files over SFTP' });
    expect(report!.reason).toMatch(/; files over SFTP$/);
    expect(report!.basefile?.localPath).toBe(JS_ARTIFACT);
    expect(report!.reason).toMatch(new RegExp(`^Linux x86_64, Node ${process.version}: JS artifact dist/tea \\(\\d+\\.\\d MiB\\), because the host has Node ${process.version} \\(>= 18\\); .* free in /tmp, need `));
    // It uploads nothing and leaves nothing: the workdir was not even created.
    expect(existsSync(fx.remoteConfig().workdir as string)).toBe(false);
  });

  it('refuses a basefile built for another architecture (an aarch64 ELF on x86_64) before uploading it', async () => {
    const arm = join(scratch, 'tea-linux-arm64');
    writeFakeElf(arm, EM.aarch64, 64 * 1024);
    const reports = await check({ basefile: arm });
    for (const report of reports) {
      expect(report.status).toBe('unusable');
      expect(report.reason).toBe(`Linux x86_64, Node ${process.version}: standalone binary (aarch64) ${scratch.split('/').pop()}/tea-linux-arm64 (64 KiB) cannot run there: it is an ELF binary for aarch64, the host is Linux x86_64`);
    }
    // In a run: every host is unusable, so the run fails before any upload, naming each host's reason.
    const { results, logs } = await runFlows({ basefile: arm }, 3);
    for (const r of results) {
      expect(r.error_type).toBe('E_NO_HEALTHY_HOST');
      for (const h of fx.hosts) expect(r.error).toContain(`${h.sshlogin}: excluded: unusable (preflight): Linux x86_64`);
      expect(r.error).toContain('it is an ELF binary for aarch64, the host is Linux x86_64');
    }
    expect(logs.filter((l) => l.includes('excluded from this run'))).toHaveLength(3);
    expect(logs.some((l) => l.includes('uploaded basefile'))).toBe(false);
    expect(existsSync(fx.remoteConfig().workdir as string)).toBe(false);
  });

  it('refuses a nearly full workdir, saying how much is free and needed', async () => {
    await withTmpfs(4096, '', async (mnt) => {
      writeFileSync(join(mnt, 'filler'), Buffer.alloc(3 * 1024 * 1024)); // 1 MiB left, the JS artifact is about 2
      const workdir = join(mnt, 'jobs');
      const [report] = await check({ hosts: [fx.hosts[0]!.sshlogin], workdir });
      expect(report!.status).toBe('unusable');
      expect(checkOf(report!, 'disk_space')).toMatchObject({ level: 'fail' });
      // The basefile's size changes with the code: only the shape and the free space are fixed.
      expect(report!.reason).toMatch(new RegExp(`^1\\.0 MiB free in ${mnt}, need [0-9.]+ MiB \\([0-9.]+ MiB to upload \\+ 64 KiB margin\\): free space or choose another workdir$`));
      // The run fails before uploading anything: without the preflight the upload would fill the disk.
      const { results } = await runFlows({ hosts: [fx.hosts[0]!.sshlogin], workdir }, 2);
      expect(results.map((r) => r.error_type)).toEqual(['E_NO_HEALTHY_HOST', 'E_NO_HEALTHY_HOST']);
      expect(results[0]!.error).toContain('1.0 MiB free in');
      expect(existsSync(workdir)).toBe(false);
    });
  });

  it('refuses a read-only workdir and a noexec one', async () => {
    await withTmpfs(4096, 'ro', async (mnt) => {
      const [report] = await check({ hosts: [fx.hosts[0]!.sshlogin], workdir: join(mnt, 'jobs') });
      expect(report!.reason).toBe(`workdir ${join(mnt, 'jobs')} (nearest existing: ${mnt}) is not writable by ${fx.hosts[0]!.user}: choose another workdir or fix its permissions`);
    });
    await withTmpfs(4096, 'noexec', async (mnt) => {
      // The mount point itself (root's, mode 1777) could not be the workdir: others can write it.
      const [report] = await check({ hosts: [fx.hosts[0]!.sshlogin], workdir: join(mnt, 'jobs') });
      expect(report!.reason).toBe(`workdir ${join(mnt, 'jobs')} (nearest existing: ${mnt}) is writable but files there cannot be executed (noexec mount?): choose another workdir`);
    });
  });

  it('reports an unreachable host; a run leaves it to the retries and the breaker and finishes on the others', async () => {
    const dead = await startLocalHosts({ count: 1 });
    const deadLogin = dead.hosts[0]!.sshlogin;
    const knownHosts = join(scratch, 'known_hosts_dead');
    execFileSync('sh', ['-c', `cat ${fx.knownHostsPath} ${dead.knownHostsPath} > ${knownHosts}`]);
    await dead.kill(0);
    try {
      const hosts = [deadLogin, fx.hosts[0]!.sshlogin, fx.hosts[1]!.sshlogin];
      const reports = await check({ hosts, known_hosts: knownHosts, connect_timeout: 5 });
      expect(reports.map((r) => r.status)).toEqual(['unusable', 'ok', 'ok']);
      expect(reports[0]!.reason).toBe(`unreachable: connection refused by 127.0.0.1:${dead.hosts[0]!.port}: is sshd running and listening on port ${dead.hosts[0]!.port}?`);

      // A connect failure is a transport failure, in a preflight as anywhere: the host may come back.
      const captured = capture();
      const executor = new RemoteExecutor(captured.context);
      try {
        const config = parseParallelConfig({ strategy: 'remote', retry: { base_delay: 0.01 }, remote: fx.remoteConfig({ hosts, known_hosts: knownHosts, connect_timeout: 5 }) });
        const results = await executor.execute(Array.from({ length: 6 }, (_, i) => flow('work', { n: i })), config);
        expect(results.every((r) => r.success && r.host !== deadLogin)).toBe(true);
        const checked = captured.events.filter((e) => e.type === 'host:checked').map((e) => (e as { host: string }).host);
        expect(checked.sort()).toEqual([fx.hosts[0]!.sshlogin, fx.hosts[1]!.sshlogin].sort());
      } finally {
        await executor.close();
      }
    } finally {
      await dead.stop();
    }
  });

  it('excludes a host without Node when the basefile needs it, with one log line; its flows move without using a retry', async () => {
    // Host 1's sessions get a PATH with the tools the probe uses (cat: the workflow it stages), but no node.
    const bin = join(scratch, 'no-node-bin');
    mkdirSync(bin);
    for (const tool of ['sh', 'uname', 'dirname', 'df', 'awk', 'mkdir', 'chmod', 'rm', 'cat', 'wc', 'tr', 'head', 'env', 'grep', 'id', 'ls']) {
      symlinkSync(execFileSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).trim(), join(bin, tool));
    }
    chmodSync(bin, 0o755);
    const two = await startLocalHosts({ count: 2, sshdOptions: [{}, { SetEnv: `PATH=${bin}` }] });
    try {
      const basefile = join(scratch, 'tea-js');
      copyFileSync(JS_ARTIFACT, basefile);
      const remote = two.remoteConfig({ basefile });
      const [ok, noNode] = await checkHosts(workflowWith(remote));
      expect(ok!.status).toBe('ok');
      expect(noNode!.reason).toMatch(/^Linux x86_64, no Node: JS artifact .*tea-js \(\d+\.\d MiB\) needs Node >= 18 and the host has no node on its PATH: install Node there, or ship the standalone binary/);

      const captured = capture();
      const executor = new RemoteExecutor(captured.context);
      try {
        const config = parseParallelConfig({ strategy: 'remote', retry: { max_retries: 0 }, remote });
        const results = await executor.execute(Array.from({ length: 6 }, (_, i) => flow('work', { n: i })), config);
        expect(results.map((r) => [r.success, r.host, r.attempts?.length])).toEqual(Array(6).fill([true, two.hosts[0]!.sshlogin, 1]));
        expect(captured.logs.filter((l) => l.includes(two.hosts[1]!.sshlogin))).toEqual([
          `warn: ${two.hosts[1]!.sshlogin}: excluded from this run: unusable (preflight): ${noNode!.reason}`,
        ]);
        expect(captured.logs.filter((l) => l.includes(`${two.hosts[0]!.sshlogin}: preflight ok: Linux x86_64, Node ${process.version}: JS artifact`))).toHaveLength(1);
      } finally {
        await executor.close();
      }
    } finally {
      await two.stop();
    }
  });

  it('reports a host key it must not trust and a key the host refuses', async () => {
    const empty = join(scratch, 'known_hosts_empty');
    writeFileSync(empty, '');
    const [unknown] = await check({ hosts: [fx.hosts[0]!.sshlogin], known_hosts: empty });
    expect(unknown!.status).toBe('unusable');
    expect(checkOf(unknown!, 'host_key')).toMatchObject({ level: 'fail', detail: expect.stringContaining('is not in') });

    const [added] = await check({ hosts: [fx.hosts[0]!.sshlogin], known_hosts: empty, strict_host_key_checking: 'accept-new' });
    expect(checkOf(added!, 'host_key')).toEqual({ name: 'host_key', level: 'ok', detail: 'was unknown: added to known_hosts (strict_host_key_checking accept-new)' });

    const wrong = await startLocalHosts({ count: 1, wrongKeyOn: [0] });
    try {
      const [report] = await checkHosts(workflowWith(wrong.remoteConfig()));
      expect(report!.checks.map((c) => [c.name, c.level])).toEqual([['reachable', 'ok'], ['host_key', 'ok'], ['authenticated', 'fail']]);
      expect(report!.reason).toMatch(new RegExp(`^authentication failed for user "${wrong.hosts[0]!.user}"`));
    } finally {
      await wrong.stop();
    }
  });

  it('tests that sshd passes the env vars of ssh_env mode (AcceptEnv TEA_* here)', async () => {
    const [ok] = await check({ hosts: [fx.hosts[0]!.sshlogin] }, ['TEA_PROBE_A', 'TEA_PROBE_B']);
    expect(checkOf(ok!, 'accept_env')).toEqual({ name: 'accept_env', level: 'ok', detail: 'sshd passes TEA_PROBE_A, TEA_PROBE_B' });
    const [refused] = await check({ hosts: [fx.hosts[0]!.sshlogin] }, ['TEA_PROBE_A', 'OTHER_PROBE']);
    // A warning: the host stays usable and the run goes on without that variable.
    expect(refused!.status).toBe('warn');
    expect(checkOf(refused!, 'accept_env')).toEqual({
      name: 'accept_env',
      level: 'warn',
      detail: 'sshd does not pass OTHER_PROBE (its AcceptEnv): add "AcceptEnv OTHER_PROBE" to the host\'s sshd_config, or use another env_vars mode',
    });
  });

  it('reuses a cached basefile only with the right sha256 (run by nobody otherwise), and replaces anything else', async () => {
    const workdir = `${fx.remoteConfig().workdir as string}-cache`;
    try {
      const one = { hosts: [fx.hosts[0]!.sshlogin], workdir, cleanup: false };
      expect((await runFlows(one, 1)).results[0]!.success).toBe(true);
      const [cached] = await check(one);
      expect(checkOf(cached!, 'cached_basefile')).toEqual({ name: 'cached_basefile', level: 'ok', detail: `cached tea ${VERSION} (sha256 verified) runs and matches this tea` });
      // Nothing to upload but the workflow now.
      expect(checkOf(cached!, 'disk_space')!.detail).toMatch(/need 6\d\.\d KiB$|need 6\d KiB$/);

      // The basefile (its V8 code cache, written by the run, sits beside it).
      const cachePath = join(workdir, '.cache', readdirSync(join(workdir, '.cache')).find((f) => /^tea-[0-9a-f]{16}$/.test(f))!);
      const size = statSync(cachePath).size;
      const marker = join(scratch, 'cached-fake-ran');
      // Same name, same size, other content: what a planted or corrupted copy looks like.
      const script = Buffer.from(`#!/bin/sh\ntouch ${marker}\necho ${VERSION}\nexit 0\n`);
      writeFileSync(cachePath, Buffer.concat([script, Buffer.alloc(size - script.length, 0x20)]));
      const [planted] = await check(one);
      expect(planted!.status).toBe('warn');
      expect(checkOf(planted!, 'cached_basefile')!.detail).toMatch(
        new RegExp(`^cached ${cachePath} has other content than this basefile \\(sha256 [0-9a-f]{16}\\.\\.\\., expected [0-9a-f]{16}\\.\\.\\.\\): it will be replaced \\(not run\\)$`),
      );
      chmodSync(cachePath, 0o777); // and one anybody could have written
      const [open] = await check(one);
      expect(checkOf(open!, 'cached_basefile')!.detail).toBe(`cached ${cachePath} is not yours alone (mode and owner uid: -rwxrwxrwx ${statSync(cachePath).uid}): it will be replaced (not run)`);

      const again = await runFlows(one, 1);
      expect(again.results[0]!.success).toBe(true);
      expect(again.logs.some((l) => l.includes('uploaded basefile'))).toBe(true);
      expect(existsSync(marker)).toBe(false);
      expect(statSync(cachePath).mode & 0o777).toBe(0o700);
      const [fixed] = await check(one);
      expect(fixed!.status).toBe('ok');
    } finally {
      rmSync(workdir, { recursive: true, force: true }); // a workdir of this test's own: the fixture removes only its own
    }
  });

  it('ships the configured basefile after checking it: a copy of the JS artifact elsewhere', async () => {
    const dir = join(scratch, 'custom');
    mkdirSync(dir, { recursive: true });
    copyFileSync(JS_ARTIFACT, join(dir, 'my-tea'));
    const { results, logs } = await runFlows({ hosts: [fx.hosts[0]!.sshlogin], basefile: join(dir, 'my-tea') }, 2);
    expect(results.every((r) => r.success)).toBe(true);
    expect(logs.filter((l) => l.includes('preflight ok'))).toEqual([
      expect.stringMatching(/JS artifact custom\/my-tea \(\d+\.\d MiB\), because set in settings\.parallel\.remote\.basefile/),
    ]);
  });
});
