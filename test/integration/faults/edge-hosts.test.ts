/**
 * Hosts as they are (issue 15), against real servers: OpenSSH without a Subsystem line, an
 * SFTP subsystem whose program is missing (what Dropbear without sftp-server does), a stalled
 * subsystem, Debian's stock external sftp-server behind a bash login shell whose ~/.bashrc
 * prints, MaxSessions 1, the cached basefile removed mid-run, a branch that daemonizes.
 * Each: every flow's result (or the host excluded with its reason and the flows done on the
 * others), bounded time, nothing of the run left on the host.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startLocalHosts, type LocalHostsFixture } from '../../harness/hosts';
import { LocalSshdCluster } from '../../harness/local-sshd';
import { processTree } from '../../harness/sshd-core';
import { makeRemoteConfig, runShell, uniqueWorkdir } from '../../harness/fixture-util';
import { checkHosts } from '../../../src/remote/host/check-hosts';
import { parseParallelConfig } from '../../../src/config/parallel';
import { quote } from '../../../src/remote/command/quote';
import { loadWorkflowText } from './edge-helpers';
import { expectOneResultEach, faultConfig, flows, leftovers, runFault, runProcesses, waitFor, FAKE_TEA } from './helpers';

jest.setTimeout(180_000);

const MISSING_SERVER = { Subsystem: 'sftp /usr/lib/tea-test-no-such/sftp-server' };
const fast = { sftp_timeout: 2, channel_wait: 10 };

async function expectNothingLeft(fx: LocalHostsFixture, runId: string): Promise<void> {
  expect(await waitFor(async () => (await runProcesses(fx, 0, runId)).length === 0, 20_000)).toBe(true);
  expect(await leftovers(fx, 0, runId)).toEqual([]);
}

describe('hosts without usable SFTP, transfer auto (the default)', () => {
  let fx: LocalHostsFixture;
  beforeAll(async () => {
    // The harness's "stalled" subsystem accepts the channel and never answers (and ends with it).
    fx = await startLocalHosts({ count: 3, sftp: ['none', 'internal', 'stalled'], sshdOptions: [{}, MISSING_SERVER, {}] });
  });
  afterAll(async () => fx.stop());

  it('no Subsystem line, a missing sftp-server, a stalled subsystem: files go over exec, every flow is done on every host', async () => {
    const reasons = [
      'the server has no SFTP subsystem',
      'the SFTP server program is missing',
      'the SFTP subsystem did not answer within 2s',
    ];
    // One fan-out per host: in one run over all three, the healthy-SFTP-less hosts could finish
    // every flow before the stalled one's 2 s deadline ends, and that host would go unproven.
    for (const [i, h] of fx.hosts.entries()) {
      const input = flows(8);
      const { results, ms, runId, logs } = await runFault(input, faultConfig(fx, { ...fast, hosts: [h.sshlogin] }));
      expectOneResultEach(results, input);
      expect(results.filter((r) => !r.success)).toEqual([]);
      results.forEach((r, j) => expect(r.state).toMatchObject({ branch: `ok${j}`, input: { i: j } }));
      // The host served its flows: none was lost to its SFTP.
      expect(new Set(results.map((r) => r.host))).toEqual(new Set([h.sshlogin]));
      expect(ms).toBeLessThan(60_000);
      // The choice and its reason, in the log.
      expect(logs).toEqual(
        expect.arrayContaining([expect.stringMatching(new RegExp(`^info: ${esc(h.sshlogin)}: files over exec channels: SFTP is not usable \\(${esc(reasons[i]!)}`))]),
      );
      await expectNothingLeft(fx, runId);
    }
  });

  it('tea hosts check tells which transfer each host will use, and why', async () => {
    const workflow = loadWorkflowText(makeRemoteConfig(fx, uniqueWorkdir(), { basefile: FAKE_TEA, ...fast }));
    const reports = await checkHosts(workflow);
    expect(reports.map((r) => [r.status, r.transfer?.kind])).toEqual([
      ['ok', 'exec'],
      ['ok', 'exec'],
      ['ok', 'exec'],
    ]);
    expect(reports[0]!.reason).toContain('files over exec channels: SFTP is not usable (the server has no SFTP subsystem (no "Subsystem sftp" line in its sshd_config))');
    expect(reports[2]!.reason).toContain('did not answer within 2s');
  });

  it('transfer: sftp on hosts without SFTP: they are excluded with the reason, the flows are done on the healthy host', async () => {
    const two = await startLocalHosts({ count: 2, sftp: ['none', 'internal'] });
    try {
      const input = flows(10);
      const { results, ms, logs } = await runFault(input, faultConfig(two, { ...fast, transfer: 'sftp' }));
      expectOneResultEach(results, input);
      expect(results.filter((r) => !r.success)).toEqual([]);
      expect(results.every((r) => r.host === two.hosts[1]!.sshlogin)).toBe(true);
      expect(ms).toBeLessThan(60_000);
      // Excluded before any flow started there (no attempt used), with the reason and the fix.
      const excluded = logs.filter((l) => l.startsWith(`warn: ${two.hosts[0]!.sshlogin}: excluded from this run: `));
      expect(excluded).toHaveLength(1);
      expect(excluded[0]).toMatch(/unusable \(preflight\): SFTP is not usable: the server has no SFTP subsystem .*: fix it or set transfer to auto or exec/);
    } finally {
      await two.stop();
    }
  });
});

describe('MaxSessions 1', () => {
  let fx: LocalHostsFixture;
  beforeAll(async () => {
    fx = await startLocalHosts({ count: 2, sshdOptions: [{ MaxSessions: '1' }, { MaxSessions: '1' }] });
  });
  afterAll(async () => fx.stop());

  it('transfer auto: the preflight sees SFTP crowd out exec and uses exec; every flow is done', async () => {
    const input = flows(16);
    const { results, ms, runId, logs } = await runFault(input, faultConfig(fx, fast));
    expectOneResultEach(results, input);
    expect(results.filter((r) => !r.success)).toEqual([]);
    results.forEach((r, i) => expect(r.state).toMatchObject({ branch: `ok${i}` }));
    expect(ms).toBeLessThan(60_000);
    for (const h of fx.hosts) expect(logs).toContain(`info: ${h.sshlogin}: files over exec channels: the server allows no exec channel beside SFTP (MaxSessions 1)`);
    expect(logs.some((l) => /refuses more than 1 channel|allows no exec channel beside the SFTP one/.test(l))).toBe(true);
    await expectNothingLeft(fx, runId);
  });

  it('transfer sftp: the SFTP channel is closed whenever exec needs the one channel; every flow is done', async () => {
    const input = flows(8);
    const { results, ms, runId } = await runFault(input, faultConfig(fx, { ...fast, transfer: 'sftp', hosts: [fx.hosts[0]!.sshlogin] }));
    expectOneResultEach(results, input);
    expect(results.filter((r) => !r.success)).toEqual([]);
    expect(ms).toBeLessThan(90_000);
    await expectNothingLeft(fx, runId);
  });
});

describe('the stock external sftp-server behind a bash login shell whose ~/.bashrc prints', () => {
  const user = 'tea-chatty';
  let cluster: LocalSshdCluster;
  let config: Record<string, unknown>;
  let workdir: string;
  beforeAll(async () => {
    ensureChattyUser(user);
    cluster = await LocalSshdCluster.start({ count: 1, user, watchParent: process.pid, sshdOptions: { Subsystem: 'sftp /usr/lib/openssh/sftp-server' } });
    const d = cluster.describe();
    workdir = uniqueWorkdir();
    config = makeRemoteConfig({ hosts: d.hosts.map((h) => ({ ...h, logPath: h.logPath })) as never, clientKeyPath: d.clientKeyPath, knownHostsPath: d.knownHostsPath }, workdir);
  });
  afterAll(async () => {
    await cluster?.stop();
    await runShell('rm', ['-rf', workdir]);
  });

  it('SFTP breaks on the printed text; files go over exec, past the text, and every flow is done', async () => {
    const input = flows(12);
    const parsed = parseParallelConfig({ strategy: 'remote', retry: { max_retries: 1, base_delay: 0.05 }, remote: { ...config, basefile: FAKE_TEA, ...fast } });
    const { results, ms, logs, runId } = await runFault(input, parsed);
    expectOneResultEach(results, input);
    expect(results.filter((r) => !r.success)).toEqual([]);
    results.forEach((r, i) => expect(r.state).toMatchObject({ branch: `ok${i}`, input: { i } }));
    expect(ms).toBeLessThan(60_000);
    expect(logs.some((l) => /files over exec channels: SFTP is not usable \(the login shell printed text before the SFTP server started/.test(l))).toBe(true);
    const left = await runShell('runuser', ['-u', user, '--', 'sh', '-c', `ls -A ${workdir}; ls -A ${workdir}/.cache`]);
    expect(left.stdout.split('\n').filter((l) => l.includes(runId) || l.includes('tmp'))).toEqual([]);
  });
});

describe('on a healthy host', () => {
  let fx: LocalHostsFixture;
  beforeAll(async () => {
    fx = await startLocalHosts({ count: 2 });
  });
  afterAll(async () => fx.stop());

  for (const transfer of ['sftp', 'exec'] as const) {
    it(`the cached basefile removed mid-run (transfer ${transfer}): re-staged, every flow done, none reported as "no Node"`, async () => {
      const input = flows(40, (i) => `slow${i}`);
      const workdir = fx.remoteConfig().workdir as string;
      const { results, ms, runId, logs } = await runFault(input, faultConfig(fx, { transfer }), async (executor) => {
        await waitFor(async () => executor.finishedCount() >= 8, 30_000);
        await fx.exec(0, `rm -f ${workdir}/.cache/tea-*`);
      });
      expectOneResultEach(results, input);
      expect(results.filter((r) => !r.success)).toEqual([]);
      expect(logs.some((l) => l.includes('the cached basefile disappeared from the host'))).toBe(true);
      expect(ms).toBeLessThan(90_000);
      await expectNothingLeft(fx, runId);
    });
  }

  it('a branch that daemonizes (setsid nohup sleep &): its escaped process is ended when the branch ends', async () => {
    const input = flows(6, (i) => `daemon${i}`);
    const { results, runId } = await runFault(input, faultConfig(fx));
    expectOneResultEach(results, input);
    expect(results.filter((r) => !r.success)).toEqual([]);
    const escaped = async () => (await fx.exec(0, 'pgrep -f "^sleep 1001$" || true')).stdout.trim();
    expect(await waitFor(async () => (await escaped()) === '', 15_000)).toBe(true);
    await expectNothingLeft(fx, runId);
  });
});

function esc(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A login user whose shell is bash and whose ~/.bashrc prints, as many real hosts' do. */
function ensureChattyUser(user: string): void {
  try {
    execFileSync('id', ['-u', user], { stdio: 'ignore' });
  } catch {
    execFileSync('useradd', ['--system', '--create-home', '--shell', '/bin/bash', user], { stdio: 'ignore' });
  }
  execFileSync('usermod', ['-p', '*', '-s', '/bin/bash', user], { stdio: 'ignore' });
  const home = execFileSync('sh', ['-c', `getent passwd ${user} | cut -d: -f6`]).toString().trim();
  mkdirSync(home, { recursive: true });
  writeFileSync(join(home, '.bashrc'), 'echo "Welcome to the edge host $(hostname)"\necho "motd: be nice" >&2\n');
  execFileSync('chown', ['-R', `${user}:`, home]);
}

describe('Dropbear and chatty login shells (the harness edge hosts)', () => {
  let fx: LocalHostsFixture;
  beforeAll(async () => {
    fx = await startLocalHosts({
      count: 3,
      server: ['dropbear', 'dropbear', 'openssh'],
      sftp: ['none', 'external', 'external'],
      loginShell: 'bash',
      rcOutput: 'Welcome to the edge host',
    });
  });
  afterAll(async () => fx.stop());

  it('Dropbear without sftp-server, Dropbear and OpenSSH with the stock sftp-server behind a printing ~/.bashrc: every flow done on every host over exec', async () => {
    // One fan-out per host: with all three in one run, a loaded machine may finish every flow on
    // two hosts before the third is ready, and the third would go unproven.
    for (const h of fx.hosts) {
      const input = flows(8);
      const { results, ms, runId, logs } = await runFault(input, faultConfig(fx, { ...fast, hosts: [h.sshlogin] }));
      expectOneResultEach(results, input);
      expect(results.filter((r) => !r.success)).toEqual([]);
      results.forEach((r, i) => expect(r.state).toMatchObject({ branch: `ok${i}`, input: { i } }));
      expect(new Set(results.map((r) => r.host))).toEqual(new Set([h.sshlogin]));
      expect(ms).toBeLessThan(60_000);
      // The bash rc text reaches the client before Dropbear's missing sftp-server can exit 127: each says so.
      expect(logs.some((l) => l.startsWith(`info: ${h.sshlogin}: files over exec channels: SFTP is not usable (the login shell printed text before the SFTP server started`))).toBe(true);
      await expectNothingLeft(fx, runId);
    }
  });
});

describe('the exec transfer under every login shell', () => {
  for (const loginShell of ['fish', 'tcsh', 'zsh', 'dash'] as const) {
    it(`${loginShell}: directories, files in and out (binary, with quotes in the name), sizes, removal`, async () => {
      const fx = await startLocalHosts({ count: 1, loginShell, rcOutput: `hello from ${loginShell}` });
      const { ConnectionPool } = await import('../../../src/remote/ssh/pool');
      const { resolveHosts } = await import('../../../src/remote/trust/hosts');
      const { ExecTransfer } = await import('../../../src/remote/transfer/exec-transfer');
      const { remoteConfigSchema } = await import('../../../src/config/remote');
      const { silentLogger } = await import('../../../src/log');
      const { ignoreEvents } = await import('../../../src/events');
      const remote = remoteConfigSchema.parse(fx.remoteConfig());
      const [spec] = resolveHosts(remote);
      const pool = new ConnectionPool([spec!], remote, silentLogger, ignoreEvents);
      const signal = AbortSignal.timeout(60_000);
      try {
        const t = new ExecTransfer(pool.get(spec!.id), 'shells');
        const dir = await t.ensureDir(`${remote.workdir}/it's a "dir" $HOME`, signal);
        expect(dir).toBe(`${remote.workdir}/it's a "dir" $HOME`);
        const data = Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 7) % 256));
        await t.writeFile(`${dir}/f.bin`, data, 0o600, signal);
        expect(await t.size(`${dir}/f.bin`, signal)).toBe(data.length);
        expect(await t.size(`${dir}/none`, signal)).toBeNull();
        expect((await t.readFile(`${dir}/f.bin`, 1 << 20, signal)).equals(data)).toBe(true);
        await expect(t.readFile(`${dir}/f.bin`, 1000, signal)).rejects.toThrow(/too large/);
        await expect(t.readFile(`${dir}/none`, 1000, signal)).rejects.toThrow(/no such file/);
        const mode = (await fx.exec(0, `stat -c %a ${quote(dir)} ${quote(`${dir}/f.bin`)}`)).stdout.split('\n');
        expect(mode.slice(0, 2)).toEqual(['700', '600']);
        await t.remove([`${dir}/f.bin`, dir], signal);
        expect((await fx.exec(0, `ls -A ${remote.workdir}`)).stdout.trim()).toBe('');
      } finally {
        await pool.close();
        await fx.stop();
      }
    });
  }
});

describe('an SFTP channel that stalls after it worked', () => {
  it('a request without an answer fails within sftp_timeout as the host\'s E_TRANSFER_FAILED, and the next request gets a fresh channel', async () => {
    const fx = await startLocalHosts({ count: 1, sftp: 'external' });
    const { ConnectionPool } = await import('../../../src/remote/ssh/pool');
    const { resolveHosts } = await import('../../../src/remote/trust/hosts');
    const { SftpTransfer } = await import('../../../src/remote/transfer/sftp-transfer');
    const { remoteConfigSchema } = await import('../../../src/config/remote');
    const { silentLogger } = await import('../../../src/log');
    const { ignoreEvents } = await import('../../../src/events');
    const { classify } = await import('../../../src/core/failure-policy');
    const remote = remoteConfigSchema.parse(fx.remoteConfig({ sftp_timeout: 2 }));
    const [spec] = resolveHosts(remote);
    const pool = new ConnectionPool([spec!], remote, silentLogger, ignoreEvents);
    const signal = AbortSignal.timeout(60_000);
    // This host's sftp-server processes only: other suites run sftp-servers as the same user meanwhile.
    const listener = Number(readFileSync(fx.hosts[0]!.logPath.replace(/\.log$/, '.pid'), 'utf8').trim());
    const serverPids = async () =>
      processTree(listener).filter((pid) => {
        try {
          return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'sftp-server';
        } catch {
          return false; // gone meanwhile
        }
      });
    let stopped: number[] = [];
    try {
      const t = new SftpTransfer(pool.get(spec!.id), 'stall');
      const dir = await t.ensureDir(remote.workdir, signal);
      stopped = await serverPids();
      expect(stopped).toHaveLength(1);
      process.kill(stopped[0]!, 'SIGSTOP');
      const started = Date.now();
      const error = await t.writeFile(`${dir}/a.json`, '{}', 0o600, signal).catch((e: unknown) => e);
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(error).toMatchObject({ code: 'E_TRANSFER_FAILED', host: spec!.id });
      expect(String((error as Error).message)).toMatch(/SFTP write of .*a\.json got no answer within 2s \(stalled SFTP channel\); the channel is replaced/);
      expect(classify(error)).toMatchObject({ transport: true, retry: 'always' });
      // The stalled channel was dropped: the next request opens a new one (a new sftp-server) and works.
      await t.writeFile(`${dir}/b.json`, '{"ok":1}', 0o600, signal);
      expect((await t.readFile(`${dir}/b.json`, 100, signal)).toString()).toBe('{"ok":1}');
      expect((await serverPids()).filter((p) => !stopped.includes(p))).toHaveLength(1);
    } finally {
      for (const pid of stopped) {
        try {
          process.kill(pid, 'SIGCONT');
        } catch {
          /* gone */
        }
      }
      await pool.close();
      await fx.stop();
    }
  });
});
