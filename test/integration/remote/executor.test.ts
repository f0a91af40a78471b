import { readFileSync } from 'node:fs';
import { parseParallelConfig } from '../../../src/config/parallel';
import { RemoteExecutor } from '../../../src/remote/executor';
import { hostSlug } from '../../../src/remote/host/layout';
import { getHosts, type HostsFixture } from '../../harness/hosts';
import { capture, flow, FANOUT_YAML } from './helpers';

jest.setTimeout(120_000);

let fx: HostsFixture;
beforeAll(async () => {
  fx = await getHosts({ count: 3 });
});
afterAll(async () => {
  await fx?.stop();
});

const config = (remote: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) =>
  parseParallelConfig({ strategy: 'remote', retry: { max_retries: 0 }, ...extra, remote: fx.remoteConfig(remote) });

async function run(flows: ReturnType<typeof flow>[], remote: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) {
  const captured = capture();
  const executor = new RemoteExecutor(captured.context);
  try {
    const results = await executor.execute(flows, config(remote, extra));
    return { results, executor, ...captured };
  } finally {
    await executor.close();
  }
}

const ls = async (i: number, path: string) => (await fx.exec(i, `ls -A ${path} 2>/dev/null`)).stdout.trim().split('\n').filter(Boolean);

describe('RemoteExecutor against real sshd', () => {
  it('runs each branch scoped on a host and returns its state, in input order, with host and timing', async () => {
    const before = fx.hosts.map((_, i) => fx.countConnections(i));
    const flows = Array.from({ length: 12 }, (_, i) => (i % 2 ? flow('shout', { word: `w${i}` }) : flow('work', { n: i })));
    const { results, executor, logs } = await run(flows);
    expect(results).toHaveLength(12);
    results.forEach((r, i) => {
      expect([r.success, r.error]).toEqual([true, null]);
      expect(r.branch).toBe(i % 2 ? 'shout' : 'work');
      if (i % 2) expect(r.state).toEqual({ word: `w${i}`, shout: `W${i}!` });
      else expect(r.state).toMatchObject({ n: i, doubled: i * 2 });
      // the exit point (join) is not run remotely
      expect(r.state).not.toHaveProperty('joined');
      expect(fx.hosts.map((h) => h.sshlogin)).toContain(r.host);
      expect(r.attempts).toHaveLength(1);
      expect(r.timing_ms).toBeGreaterThan(0);
    });
    // Least-loaded scheduling spreads 12 flows over all 3 hosts.
    expect(new Set(results.map((r) => r.host)).size).toBe(3);
    // One TCP connection per host for the whole run: counted by the hosts' sshd logs.
    const after = fx.hosts.map((_, i) => fx.countConnections(i) - before[i]!);
    expect(after).toEqual([1, 1, 1]);
    expect(Object.values(executor.connectCounts())).toEqual([1, 1, 1]);
    expect(logs.filter((l) => l.includes('pure-Node ssh2 transport'))).toHaveLength(1);
  });

  it('ships the full workflow YAML and leaves the run directory when cleanup is off', async () => {
    const workdir = `${fx.remoteConfig().workdir}-keep`;
    const { results, executor } = await run([flow('work', { n: 2 })], { hosts: [fx.hosts[0]!.sshlogin], cleanup: false, workdir });
    expect(results[0]!.success).toBe(true);
    const entries = await ls(0, workdir);
    const runDir = `run-${executor.runId}-${hostSlug(fx.hosts[0]!.sshlogin)}`;
    expect(entries).toEqual(expect.arrayContaining(['.cache', runDir]));
    const yaml = await fx.exec(0, `cat ${workdir}/${runDir}/workflow.yaml`);
    expect(yaml.stdout).toBe(FANOUT_YAML);
    const flowDirs = await ls(0, `${workdir}/${runDir}`);
    expect(flowDirs).toEqual(expect.arrayContaining(['workflow.yaml', '1-0-a1']));
    const modes = await fx.exec(0, `stat -c '%a %n' ${workdir}/${runDir} ${workdir}/${runDir}/workflow.yaml ${workdir}/${runDir}/1-0-a1/input.json`);
    expect(modes.stdout.split('\n').filter(Boolean).map((l) => l.split(' ')[0])).toEqual(['700', '600', '600']);
    await fx.exec(0, `rm -rf ${workdir}`);
  });

  it('leaves nothing but the basefile cache under workdir after a run with cleanup, success or failure', async () => {
    const { results } = await run([flow('work', { n: 1 }), flow('fail', { n: 2 }), flow('shout', { word: 'x' })]);
    expect(results.map((r) => r.success)).toEqual([true, false, true]);
    for (let i = 0; i < fx.hosts.length; i += 1) {
      const entries = await ls(i, fx.remoteConfig().workdir as string);
      expect(entries.filter((e) => e !== '.cache')).toEqual([]);
    }
  });

  it('classifies a failing branch with its exit code and stderr tail, without retrying it', async () => {
    const { results } = await run([flow('fail', { n: 7 })], {}, { retry: { max_retries: 2, base_delay: 0.01 } });
    const [r] = results;
    expect(r).toMatchObject({ success: false, error_type: 'E_REMOTE_EXIT', exit_code: 1, retry_count: 0 });
    expect(r!.stderr_tail).toContain('branch failed on purpose: 7');
    expect(r!.error).toContain('branch failed on purpose: 7');
  });

  it('round-trips a 5 MB unicode state', async () => {
    const payload = 'ünïcødé ✓ 漢字 🚀 '.repeat(5 * 1024 * 1024 / 24);
    const { results } = await run([flow('work', { n: 3, payload })], { hosts: [fx.hosts[1]!.sshlogin] });
    expect(results[0]!.success).toBe(true);
    expect((results[0]!.state as { echo: string }).echo).toBe(payload);
    expect(Buffer.byteLength(JSON.stringify(results[0]!.state))).toBeGreaterThan(5 * 1024 * 1024);
  });

  it('runs 300 flows on one host with 8 slots over one connection with zero failures', async () => {
    const flows = Array.from({ length: 300 }, (_, i) => flow('shout', { word: `n${i}` }));
    const before = fx.countConnections(2);
    const { results } = await run(flows, { hosts: [`8/${fx.hosts[2]!.sshlogin}`] });
    expect(results.filter((r) => !r.success)).toEqual([]);
    expect(results.map((r) => (r.state as { shout: string }).shout)).toEqual(flows.map((_, i) => `N${i}!`));
    expect(fx.countConnections(2) - before).toBe(1);
  });

  it('keeps two concurrent runs on one host apart', async () => {
    const host = { hosts: [fx.hosts[0]!.sshlogin] };
    const [a, b] = await Promise.all([
      run(Array.from({ length: 20 }, (_, i) => flow('work', { n: i })), host),
      run(Array.from({ length: 20 }, (_, i) => flow('work', { n: 100 + i })), host),
    ]);
    expect(a.results.map((r) => (r.state as { doubled: number }).doubled)).toEqual(Array.from({ length: 20 }, (_, i) => i * 2));
    expect(b.results.map((r) => (r.state as { doubled: number }).doubled)).toEqual(Array.from({ length: 20 }, (_, i) => (100 + i) * 2));
    expect(a.executor.runId).not.toBe(b.executor.runId);
    const entries = await ls(0, fx.remoteConfig().workdir as string);
    expect(entries.filter((e) => e !== '.cache')).toEqual([]);
  });

  it('uploads the basefile once per host per content and reuses it across runs', async () => {
    const host = { hosts: [fx.hosts[1]!.sshlogin] };
    const first = await run([flow('work')], host);
    const second = await run([flow('work')], host);
    expect(first.results[0]!.success && second.results[0]!.success).toBe(true);
    const uploads = [...first.logs, ...second.logs].filter((l) => l.includes('uploaded basefile'));
    expect(uploads.length).toBeLessThanOrEqual(1);
    const cache = await ls(1, `${fx.remoteConfig().workdir}/.cache`);
    expect(cache.filter((f) => f.startsWith('tea-') && !f.includes('.tmp-') && !f.endsWith('.v8cache'))).toHaveLength(1);
  });
});
