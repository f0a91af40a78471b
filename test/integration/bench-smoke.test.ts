// The benchmark at a tiny size, so it cannot rot: every row and transport runs once
// against real sshd hosts and must produce a well-formed report with no lost flow.
// No timing is asserted (figures on a shared machine mean nothing here).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Results } from '../../bench/report';

jest.setTimeout(600_000);

const root = resolve(__dirname, '../..');
const RUNNERS = ['tea-remote', 'floor', 'openssh', 'gnu-parallel', 'local'];

describe('npm run bench (tiny)', () => {
  let out: string;
  let run: ReturnType<typeof spawnSync>;
  let results: Results;

  beforeAll(() => {
    out = mkdtempSync(join(tmpdir(), 'tea-bench-smoke-'));
    const args = [
      'scripts/bench.mjs', '--reps', '1', '--branches', '3', '--hosts', '1', '--slots', '2',
      '--upload-mib', '1', '--scale', '4x2', '--sftp-choice-flows', '4', '--rtt-ms', '0,20', '--rtt-branches', '1,2', '--warm-scale', '4x2', '--out', out,
    ];
    run = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8', timeout: 590_000 });
    results = JSON.parse(readFileSync(join(out, 'latest.json'), 'utf8')) as Results;
  });
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('exits 0 and prints the report it wrote', () => {
    expect({ status: run.status, stderr: run.status === 0 ? '' : String(run.stderr).slice(-2000) }).toEqual({ status: 0, stderr: '' });
    const md = readFileSync(join(out, 'latest.md'), 'utf8');
    expect(run.stdout).toBe(md);
    for (const heading of ['## Targets', '## 1a. Fan-out', '## 1b.', '## 2. Per-branch dispatch overhead', '## 3. Basefile upload', '## 4. Scale', '## 5. SFTP library choice', '## 6. Transfer without SFTP', '## 7. Round trips']) {
      expect(md).toContain(heading);
    }
    expect(md).toMatch(/Machine: \d+ x .+, \d+ GB RAM, Linux /);
    expect(md).toMatch(/Load average \(1\/5\/15 min\): [\d.]+ [\d.]+ [\d.]+ at the start/);
  });

  it('ran every transport on the fan-out, real and stub, with every branch back and one login per host for tea-remote', () => {
    for (const work of ['tea', 'stub'] as const) {
      const samples = results.fanout!.samples[work]!;
      // The stub basefile cannot be a warm runner: the warm transport runs real branches only.
      const runners = work === 'tea' ? [...RUNNERS, 'tea-warm'] : RUNNERS;
      expect(Object.keys(samples).sort()).toEqual([...runners].sort());
      for (const runner of runners) {
        const [s] = samples[runner as keyof typeof samples]!;
        expect({ runner, ok: s!.ok, lost: s!.lost, error: s!.error }).toEqual({ runner, ok: 3, lost: 0, error: undefined });
        expect(s!.wall_ms).toBeGreaterThan(0);
      }
      expect(samples['tea-remote']![0]!.logins).toEqual([1]);
      expect(samples['tea-remote']![0]!.peak_rss).toBeGreaterThan(0);
    }
  });

  it('ran the warm runner row: host CPU per branch for both runners, the warm scale run with every branch back', () => {
    const warm = results.warm!;
    for (const runner of ['tea-remote', 'tea-warm'] as const) {
      expect(warm.samples[runner]![0]).toMatchObject({ ok: 3, lost: 0 });
      // Measured where the bench can make a cpuacct cgroup (root); then a positive figure per repetition.
      if (warm.host_cpu_ms[runner] !== undefined) expect(warm.host_cpu_ms[runner]![0]).toBeGreaterThan(0);
    }
    expect(warm.scale).toMatchObject({ branches: 4, hosts: 2 });
    expect(warm.scale!.samples[0]).toMatchObject({ ok: 4, lost: 0, logins: [1, 1] });
    expect(warm.scale!.runner_peak_rss[0]).toBeGreaterThan(0);
  });

  it('has the exec transfer next to SFTP, same run', () => {
    expect(results.transfer!.bytes).toBe(2 ** 20);
    for (const kind of ['sftp', 'exec'] as const) {
      expect(results.transfer![kind].branch_io_ms).toEqual([expect.any(Number)]);
      expect(results.transfer![kind].upload_ms).toEqual([expect.any(Number)]);
    }
  });

  it('has the dispatch, upload, scale and SFTP-choice figures', () => {
    expect(results.dispatch!.branch_latency_ms.stub).toEqual({ 'tea-remote': expect.any(Number), floor: expect.any(Number), local: expect.any(Number) });
    expect(results.upload!.bytes).toBe(2 ** 20);
    for (const key of ['tea_connect_ms', 'tea_stage_ms', 'tea_fastput_ms', 'scp_ms', 'ssh_true_ms'] as const) {
      expect(results.upload![key]).toHaveLength(1);
    }
    const [scale] = results.scale!;
    expect(scale).toMatchObject({ branches: 4, hosts: 2 });
    expect(scale!.samples['tea-remote']![0]).toMatchObject({ ok: 4, lost: 0, logins: [1, 1] });
    expect(results.sftp_choice!.lines).toEqual([
      expect.stringMatching(/^ssh2-sftp-client \(serialized\)\s+4 flows: median \d+ ms/),
      expect.stringMatching(/^ssh2 SFTP channel \(pipelined\)\s+4 flows: median \d+ ms/),
    ]);
  });

  it('has the round-trip row: tea-remote beside GNU Parallel through the latency proxy at each RTT', () => {
    expect(results.rtt).toMatchObject({ rtts: [0, 20], branches: [1, 2] });
    for (const rtt of ['0', '20']) {
      for (const runner of ['tea-remote', 'tea-warm', 'gnu-parallel'] as const) {
        const cell = results.rtt!.samples[rtt]![runner]!;
        for (const [key, n] of [['small', 1], ['large', 2]] as const) {
          const [s] = cell[key];
          expect({ rtt, runner, key, ok: s!.ok, lost: s!.lost, error: s!.error }).toEqual({ rtt, runner, key, ok: n, lost: 0, error: undefined });
          expect(s!.flights).toBeGreaterThan(0);
        }
        // tea-remote: one connection for the whole run (also on a fresh workdir); GNU Parallel logs in per branch.
        if (runner !== 'gnu-parallel') expect([cell.large[0]!.connections, cell.first![0]!.ok]).toEqual([1, 1]);
        else expect(cell.large[0]!.connections).toBeGreaterThan(cell.small[0]!.connections);
      }
    }
  });

  it('notes the machine and judges every target', () => {
    expect(results.machine).toMatchObject({ nproc: expect.any(Number), node: process.version, load_start: expect.stringMatching(/^[\d.]+ [\d.]+ [\d.]+$/) });
    expect(results.machine.openssh).toMatch(/OpenSSH/);
    expect(results.machine.gnu_parallel).toMatch(/GNU parallel/);
    expect(results.login.shell).toBeTruthy();
    const names = results.targets.map((t) => t.target);
    expect(names).toEqual(expect.arrayContaining([
      expect.stringMatching(/^1a\. .*GNU Parallel/),
      expect.stringMatching(/^2\. dispatch overhead/),
      expect.stringMatching(/^3\. .*like for like/),
      expect.stringMatching(/^3\. .*as staged/),
      expect.stringMatching(/^4\. 4 branches over 2 hosts/),
      expect.stringMatching(/^7\. per branch at most 3 round trips/),
      expect.stringMatching(/^7\. a run's fixed part at most 15 round trips/),
      expect.stringMatching(/^1a\. .*warm runner: >= 20x faster than the GNU Parallel plan/),
      expect.stringMatching(/^8\. a branch's extra CPU on its host/),
      expect.stringMatching(/^8\. 4 real branches over 2 hosts \(warm runner\)/),
    ]));
    expect(results.targets.find((t) => t.target.startsWith('zero lost flows'))!.met).toBe(true);
  });
});
