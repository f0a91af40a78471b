import type { BenchOptions, Work } from './lib/args';
import type { Machine } from './lib/machine';
import { max, median, min, ms, ratio, spread } from './lib/stats';
import type { DispatchRow, FanoutRow, SampleTable } from './rows/fanout';
import { LABELS, type Runner, type Sample } from './rows/measure';
import type { ScaleRow } from './rows/scale';
import type { SftpChoiceRow } from './rows/sftp-choice';
import type { UploadRow } from './rows/upload';
import type { TransferRow } from './rows/transfer';
import { impliedRoundTrips, rttFigures, type RttRow, type RttRunner } from './rows/rtt';
import type { WarmRow } from './rows/warm';

export interface LoginInfo {
  user: string;
  shell: string;
  /** Median of `exec true` on one open ssh2 connection (TCP_NODELAY): what one exec costs on these hosts. */
  exec_true_ms: number;
}

export interface Target {
  target: string;
  measured: string;
  met: boolean | null;
}

export interface Results {
  machine: Machine;
  command: string;
  options: Omit<BenchOptions, 'out'>;
  login: LoginInfo;
  hosts_started: number;
  fanout?: FanoutRow;
  dispatch?: DispatchRow;
  upload?: UploadRow;
  scale?: ScaleRow[];
  sftp_choice?: SftpChoiceRow;
  transfer?: TransferRow;
  rtt?: RttRow;
  warm?: WarmRow;
  targets: Target[];
}

const walls = (s: Sample[] | undefined) => (s ?? []).map((x) => x.wall_ms);
const medWall = (s: Sample[] | undefined) => median(walls(s));
const lost = (s: Sample[] | undefined) => (s ?? []).reduce((a, x) => a + x.lost, 0);
const MB = (bytes: number) => `${(bytes / 1e6).toFixed(0)} MB`;

function logins(s: Sample[] | undefined): string {
  const all = (s ?? []).flatMap((x) => x.logins);
  if (all.length === 0) return '-';
  return min(all) === max(all) ? String(min(all)) : `${min(all)}-${max(all)}`;
}

function rss(s: Sample[] | undefined): string {
  const all = (s ?? []).map((x) => x.peak_rss).filter((x): x is number => x !== undefined);
  return all.length ? MB(max(all)) : '-';
}

function lostCell(s: Sample[] | undefined): string {
  const n = lost(s);
  const err = (s ?? []).find((x) => x.error)?.error;
  return n === 0 ? '0' : `**${n}** (${(err ?? '').slice(0, 120).replace(/\|/g, '/')})`;
}

const table = (head: string[], rows: string[][]) =>
  [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');

function fanoutTable(row: FanoutRow, work: Work): string {
  const samples = row.samples[work] ?? {};
  const tea = medWall(samples['tea-remote']);
  const local = medWall(samples.local);
  const runners = Object.keys(samples) as Runner[];
  return table(
    ['transport', 'wall: median (range)', 'branches/s', 'time vs tea-remote', 'overhead/branch: (wall - local)/N', 'logins per host', 'client peak RSS', 'lost'],
    runners.map((r) => {
      const w = medWall(samples[r]);
      return [
        LABELS[r],
        spread(walls(samples[r])),
        (row.branches / (w / 1000)).toFixed(1),
        r === 'local' ? '-' : ratio(w, tea),
        r === 'local' ? '-' : ms((w - local) / row.branches),
        logins(samples[r]),
        rss(samples[r]),
        lostCell(samples[r]),
      ];
    }),
  );
}

/** Per-branch overhead figures of row 2 for one work kind. */
export function dispatchFigures(row: DispatchRow, work: Work) {
  const s = row.samples[work] ?? {};
  const lat = row.branch_latency_ms[work] ?? {};
  const localWall = medWall(s.local);
  const runLocal = lat.local ?? NaN;
  const fig = (r: Runner) => ({
    wall: medWall(s[r]),
    amortized: (medWall(s[r]) - localWall) / row.branches,
    steady: (lat[r] ?? NaN) - runLocal,
  });
  return { tea: fig('tea-remote'), floor: fig('floor'), runLocal, localWall };
}

function dispatchTable(row: DispatchRow): string {
  const rows: string[][] = [];
  for (const work of ['stub', 'tea'] as Work[]) {
    const s = row.samples[work];
    if (!s) continue;
    const f = dispatchFigures(row, work);
    const what = work === 'stub' ? 'stub (cp input output)' : 'real `tea run`';
    rows.push([what, LABELS.local, spread(walls(s.local)), '-', ms(f.runLocal), '-', '-']);
    for (const [r, x] of [['tea-remote', f.tea], ['floor', f.floor]] as const) {
      if (!s[r]) continue;
      rows.push([
        what,
        LABELS[r],
        spread(walls(s[r])),
        ms(x.amortized),
        ms((row.branch_latency_ms[work] ?? {})[r] ?? NaN),
        ms(x.steady),
        r === 'floor' ? '1x' : `${ratio(x.steady, f.floor.steady)} steady, ${ratio(x.amortized, f.floor.amortized)} amortized`,
      ]);
    }
  }
  return table(
    ['branch work', 'transport', `wall for ${row.branches} in sequence`, 'amortized overhead/branch: (wall - local wall)/N', 'branch latency (median)', 'steady overhead/branch: latency - local run', 'vs floor'],
    rows,
  );
}

function transferTable(row: TransferRow): string {
  const rate = (msList: number[]) => `${(row.bytes / 1e6 / (median(msList) / 1000)).toFixed(0)} MB/s`;
  const mib = (row.bytes / 2 ** 20).toFixed(0);
  return table(['transfer', `a branch's file work (mkdir, input in, result out, removal): median of ${row.branches}, per repetition`, `${mib} MiB upload (temp name, size + sha256 check, rename)`, 'throughput'], [
    ['SFTP (one channel, pipelined)', spread(row.sftp.branch_io_ms), spread(row.sftp.upload_ms), rate(row.sftp.upload_ms)],
    ['exec channels (transfer: exec)', spread(row.exec.branch_io_ms), spread(row.exec.upload_ms), rate(row.exec.upload_ms)],
    ['exec / SFTP', ratio(median(row.exec.branch_io_ms), median(row.sftp.branch_io_ms)), ratio(median(row.exec.upload_ms), median(row.sftp.upload_ms)), '-'],
  ]);
}

const RTT_LABELS: Record<RttRunner, string> = { 'tea-remote': 'tea-remote', 'tea-warm': 'tea-remote, warm runner', 'gnu-parallel': 'GNU Parallel plan' };
const rt = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(1));

function rttTable(row: RttRow): string {
  const out: string[][] = [];
  for (const rtt of row.rtts) {
    const tea = rttFigures(row, rtt, 'tea-remote');
    for (const runner of ['tea-remote', 'tea-warm', 'gnu-parallel'] as RttRunner[]) {
      const f = rttFigures(row, rtt, runner);
      if (f === null) continue;
      const implied = impliedRoundTrips(row, rtt, runner);
      out.push([
        `${rtt} ms`,
        RTT_LABELS[runner],
        ms(f.perBranchMs),
        rt(implied?.perBranch),
        rt(f.flightsPerBranch),
        rt(f.connectionsPerBranch),
        ms(f.fixedMs),
        rt(implied?.fixed),
        rt(f.flightsFixed),
        f.firstFixedMs === undefined ? '-' : `${ms(f.firstFixedMs)}; ${rt(implied?.first)} (wall), ${rt(f.firstFlightsFixed)} (flights)`,
        runner === 'tea-remote' || tea === null ? '1x' : ratio(f.perBranchMs, tea.perBranchMs),
        f.lost === 0 ? '0' : `**${f.lost}** (${(f.error ?? '').slice(0, 120).replace(/\|/g, '/')})`,
      ]);
    }
  }
  return table(
    ['RTT', 'transport', 'per branch: wall (slope)', 'round trips (wall)', 'round trips (proxy flights)', 'logins/branch', 'fixed part: wall', 'round trips (wall)', 'round trips (proxy flights)', 'fixed part, first run on a fresh workdir: wall; round trips', 'per branch vs tea-remote', 'lost'],
    out,
  );
}

function uploadTable(row: UploadRow): string {
  const rate = (msList: number[]) => `${(row.bytes / 1e6 / (median(msList) / 1000)).toFixed(0)} MB/s`;
  const scpOnly = row.scp_ms.map((t, i) => t - (row.ssh_true_ms[i] ?? 0));
  const connectPlusStage = row.tea_stage_ms.map((t, i) => t + (row.tea_connect_ms[i] ?? 0));
  const connectPlusPut = row.tea_fastput_ms.map((t, i) => t + (row.tea_connect_ms[i] ?? 0));
  return table(['method', 'time: median (range)', 'throughput'], [
    ['tea-remote: connect + HostStaging.stage() (upload, size + sha256sum check, rename)', spread(connectPlusStage), rate(connectPlusStage)],
    ['tea-remote: stage() alone', spread(row.tea_stage_ms), rate(row.tea_stage_ms)],
    ['tea-remote: connect + ssh2 fastPut (the transfer alone, like scp)', spread(connectPlusPut), rate(connectPlusPut)],
    ['tea-remote: ssh2 fastPut alone (64 requests of 32 KiB in flight)', spread(row.tea_fastput_ms), rate(row.tea_fastput_ms)],
    ['OpenSSH `scp` (whole process, connection included)', spread(row.scp_ms), rate(row.scp_ms)],
    ['OpenSSH `scp` minus `ssh host true` (transfer alone, estimated)', spread(scpOnly), rate(scpOnly)],
    ['tea-remote connect (for reference)', spread(row.tea_connect_ms), '-'],
    ['`ssh host true` (for reference)', spread(row.ssh_true_ms), '-'],
  ]);
}

function scaleTable(rows: ScaleRow[]): string {
  const out: string[][] = [];
  for (const row of rows) {
    for (const [r, s] of Object.entries(row.samples) as Array<[Runner, Sample[]]>) {
      const w = medWall(s);
      const retries = s.reduce((a, x) => a + (x.retries ?? 0), 0);
      out.push([
        `${row.branches} x ${row.hosts} (${row.slots} slots, ${row.work})`,
        LABELS[r],
        spread(walls(s)),
        (row.branches / (w / 1000)).toFixed(0),
        rss(s),
        logins(s),
        lostCell(s),
        r === 'tea-remote' ? String(retries) : '-',
      ]);
    }
  }
  return table(['branches x hosts', 'transport', 'wall: median (range)', 'branches/s', 'client peak RSS (max)', 'logins per host', 'lost', 'retries'], out);
}

/** The issue's targets, judged on this run's medians. */
export function judgeTargets(r: Omit<Results, 'targets'>): Target[] {
  const targets: Target[] = [];
  if (r.fanout) {
    for (const work of ['tea', 'stub'] as Work[]) {
      const s = r.fanout.samples[work] ?? {};
      if (!s['gnu-parallel'] || !s['tea-remote']) continue;
      const x = medWall(s['gnu-parallel']) / medWall(s['tea-remote']);
      // No transport can beat the branches' own run time: on loopback that bounds the ratio.
      const bound = s.local ? `; at most ${(medWall(s['gnu-parallel']) / medWall(s.local)).toFixed(1)}x on this machine (GNU Parallel / the same runs locally)` : '';
      targets.push({
        target: `1${work === 'tea' ? 'a' : 'b'}. ${r.fanout.branches}-branch fan-out over ${r.fanout.hosts} hosts (${work === 'tea' ? 'real tea run' : 'stub, dispatch only'}): >= 10x faster than the GNU Parallel plan`,
        measured: `${x.toFixed(1)}x${bound}`,
        met: work === 'tea' ? x >= 10 : null,
      });
    }
    // Issue 19's goal, for the warm runner: >= 20x the GNU Parallel plan, within 1.5x of the stub row.
    const real = r.fanout.samples.tea ?? {};
    const stub = r.fanout.samples.stub?.['tea-remote'];
    if (real['tea-warm'] && real['gnu-parallel']) {
      const x = medWall(real['gnu-parallel']) / medWall(real['tea-warm']);
      targets.push({
        target: `1a. ${r.fanout.branches} real branches over ${r.fanout.hosts} hosts, warm runner: >= 20x faster than the GNU Parallel plan`,
        measured: `${x.toFixed(1)}x (process runner ${(medWall(real['gnu-parallel']) / medWall(real['tea-remote'])).toFixed(1)}x)`,
        met: x >= 20,
      });
    }
    if (real['tea-warm'] && stub) {
      const x = medWall(real['tea-warm']) / medWall(stub);
      targets.push({
        target: `1a. warm runner within 1.5x of the stub row (1b, tea-remote)`,
        measured: `${ms(medWall(real['tea-warm']))} vs ${ms(medWall(stub))} = ${x.toFixed(2)}x`,
        met: x <= 1.5,
      });
    }
  }
  if (r.warm) {
    const w = r.warm;
    const proc = median(w.host_cpu_ms['tea-remote'] ?? []);
    const warm = median(w.host_cpu_ms['tea-warm'] ?? []);
    const measured = (w.host_cpu_ms['tea-warm'] ?? []).length > 0;
    targets.push({
      target: `8. a branch's extra CPU on its host (trivial body) <= 15 ms, warm runner`,
      measured: measured ? `warm ${ms(warm)} per branch, process ${ms(proc)} per branch (${w.branches} branches over ${w.hosts} hosts, sshd included)` : 'not measured (needs root and a cgroup v1 cpuacct mount)',
      met: measured ? warm <= 15 : null,
    });
    if (w.scale) {
      const sc = w.scale;
      const okAll = sc.samples.every((x) => x.ok === sc.branches && x.lost === 0);
      const peak = max(sc.samples.map((x) => x.peak_rss ?? NaN));
      const runnerPeak = max(sc.runner_peak_rss);
      targets.push({
        target: `8. ${sc.branches} real branches over ${sc.hosts} hosts (warm runner): all correct, client peak RSS <= 200 MB, host peak RSS per slot reported`,
        measured: `${sc.samples.map((x) => `${x.ok}/${sc.branches}`).join(', ')} ok; client peak RSS ${MB(peak)}; runner peak RSS ${MB(runnerPeak)} per host, ${MB(runnerPeak / sc.slots)} per slot (${sc.slots} slots)`,
        met: okAll && peak <= 200e6,
      });
    }
  }
  if (r.dispatch) {
    for (const work of ['stub', 'tea'] as Work[]) {
      if (!r.dispatch.samples[work]?.floor || !r.dispatch.samples[work]?.['tea-remote']) continue;
      const f = dispatchFigures(r.dispatch, work);
      const steady = f.tea.steady / f.floor.steady;
      const amortized = f.tea.amortized / f.floor.amortized;
      targets.push({
        target: `2. dispatch overhead per branch within 2x of the raw floor (${work === 'stub' ? 'stub: exact' : 'real tea run: run time subtracted, noisy'})`,
        measured: `steady ${ms(f.tea.steady)} vs ${ms(f.floor.steady)} = ${ratio(f.tea.steady, f.floor.steady)}; amortized ${ms(f.tea.amortized)} vs ${ms(f.floor.amortized)} = ${ratio(f.tea.amortized, f.floor.amortized)}`,
        met: work === 'stub' ? steady <= 2 && amortized <= 2 : null,
      });
    }
  }
  if (r.upload) {
    const u = r.upload;
    const withConnect = (list: number[]) => median(list.map((t, i) => t + (u.tea_connect_ms[i] ?? 0)));
    const scp = median(u.scp_ms);
    const mib = (u.bytes / 2 ** 20).toFixed(0);
    const transfer = withConnect(u.tea_fastput_ms);
    const staged = withConnect(u.tea_stage_ms);
    targets.push({
      target: `3. ${mib} MiB basefile upload at least as fast as scp, like for like (connect + SFTP transfer; neither verifies)`,
      measured: `tea-remote ${ms(transfer)} vs scp ${ms(scp)} (${(scp / transfer).toFixed(2)}x)`,
      met: transfer <= scp,
    });
    targets.push({
      target: `3. ${mib} MiB basefile as staged: connect + upload + size and sha256sum check on the host + rename (scp checks nothing)`,
      measured: `tea-remote ${ms(staged)} vs scp ${ms(scp)} (${(scp / staged).toFixed(2)}x)`,
      met: null,
    });
  }
  for (const row of r.scale ?? []) {
    const s = row.samples['tea-remote'];
    if (!s) continue;
    const peak = max(s.map((x) => x.peak_rss ?? NaN));
    const lostN = lost(s);
    const loginsAll = s.flatMap((x) => x.logins);
    targets.push({
      target: `4. ${row.branches} branches over ${row.hosts} hosts: peak RSS <= 200 MB, one login per host, zero lost flows`,
      measured: `peak RSS ${MB(peak)}, logins per host ${min(loginsAll)}-${max(loginsAll)}, lost ${lostN}`,
      met: (row.branches < 1000 || peak <= 200e6) && lostN === 0 && max(loginsAll) === 1,
    });
  }
  if (r.rtt) {
    const top = Math.max(...r.rtt.rtts);
    const tea = rttFigures(r.rtt, top, 'tea-remote');
    const gnu = rttFigures(r.rtt, top, 'gnu-parallel');
    const implied = impliedRoundTrips(r.rtt, top, 'tea-remote');
    if (tea !== null && implied !== null) {
      // Judged on the counted flights (+1 for the TCP handshake the proxy cannot see): the wall
      // time also carries the hosts' CPU time, which a loaded machine varies from run to run.
      targets.push({
        target: `7. per branch at most 3 round trips on the critical path (tea-remote, ${top} ms RTT; counted at the proxy)`,
        measured: `${tea.flightsPerBranch.toFixed(1)} client flights per branch; ${implied.perBranch.toFixed(1)} implied by the wall time (${ms(tea.perBranchMs)} per branch, host CPU included)`,
        met: tea.flightsPerBranch <= 3.2,
      });
      targets.push({
        target: `7. a run's fixed part at most 15 round trips (tea-remote, ${top} ms RTT, basefile cached, handshake included; counted at the proxy)`,
        measured: `${(tea.flightsFixed + 1).toFixed(1)} (client flights + 1 TCP); ${implied.fixed.toFixed(1)} implied by the wall time (${ms(tea.fixedMs)}, client startup and host CPU included)`,
        met: tea.flightsFixed + 1 <= 15,
      });
    }
    const warm = rttFigures(r.rtt, top, 'tea-warm');
    if (warm !== null) {
      targets.push({
        target: `7. per branch with the warm runner (issue 19), ${top} ms RTT: round trips counted at the proxy`,
        measured: `${warm.flightsPerBranch.toFixed(1)} client flights per branch (${ms(warm.perBranchMs)}); fixed part ${(warm.flightsFixed + 1).toFixed(1)}`,
        met: null,
      });
    }
    if (tea !== null && gnu !== null) {
      targets.push({
        target: `7. per-branch cost at ${top} ms RTT, GNU Parallel plan / tea-remote`,
        measured: `${ms(gnu.perBranchMs)} / ${ms(tea.perBranchMs)} = ${ratio(gnu.perBranchMs, tea.perBranchMs)}`,
        met: null,
      });
    }
  }
  const allTea: Sample[] = [
    ...Object.values(r.fanout?.samples ?? {}).flatMap((t) => t?.['tea-remote'] ?? []),
    ...Object.values(r.dispatch?.samples ?? {}).flatMap((t) => t?.['tea-remote'] ?? []),
    ...(r.scale ?? []).flatMap((row) => row.samples['tea-remote'] ?? []),
    ...Object.values(r.fanout?.samples ?? {}).flatMap((t) => t?.['tea-warm'] ?? []),
    ...Object.values(r.warm?.samples ?? {}).flat(),
    ...(r.warm?.scale?.samples ?? []),
  ];
  if (allTea.length) {
    const n = lost(allTea);
    targets.push({ target: 'zero lost flows in every tea-remote run', measured: `${n} lost over ${allTea.length} runs`, met: n === 0 });
  }
  return targets;
}

/** Where, when and on what the figures were measured, and the targets table: the README shows this too. */
export function summary(r: Results): string {
  const m = r.machine;
  return [
    `Measured ${m.date} at commit ${m.commit} with \`${r.command}\`: ${r.options.reps} repetition(s) per figure, interleaved; medians with the range of the repetitions.`,
    '',
    `- Machine: ${m.nproc} x ${m.cpu}, ${m.memory_gb} GB RAM, Linux ${m.kernel}`,
    `- Software: Node ${m.node}; ${m.openssh}; ${m.gnu_parallel}; ${m.rsync}`,
    `- Load average (1/5/15 min): ${m.load_start} at the start, ${m.load_end ?? '?'} at the end. The hosts run on this same machine, so every figure includes the remote side's CPU; a load above ${m.nproc} means other work competed with the benchmark.`,
    `- Hosts: ${r.hosts_started} OpenSSH sshd processes on 127.0.0.1 (test/harness/sshd-core.js, default MaxSessions/MaxStartups), login user \`${r.login.user}\` with login shell ${r.login.shell}; \`exec true\` on an open ssh2 connection takes ${ms(r.login.exec_true_ms)}.`,
    '',
    table(['target', 'measured', 'met'], r.targets.map((t) => [t.target, t.measured, t.met === null ? 'for information' : t.met ? 'yes' : '**no**'])),
  ].join('\n');
}

export function markdown(r: Results): string {
  const parts: string[] = ['# tea-remote benchmark results', '', summary(r).replace('\n\n|', '\n\n## Targets\n\n|')];
  if (r.fanout) {
    const f = r.fanout;
    parts.push(
      '',
      `## 1a. Fan-out: ${f.branches} branches over ${f.hosts} hosts, ${f.slots} slots per host, a real \`tea run\` per branch`,
      '',
      fanoutTable(f, 'tea'),
      '',
      `## 1b. The same fan-out with the stub basefile (dispatch only: each branch copies its input)`,
      '',
      fanoutTable(f, 'stub'),
    );
  }
  if (r.dispatch) {
    parts.push('', `## 2. Per-branch dispatch overhead: ${r.dispatch.branches} branches in sequence on 1 host, 1 slot`, '', dispatchTable(r.dispatch));
  }
  if (r.upload) parts.push('', `## 3. Basefile upload: ${(r.upload.bytes / 2 ** 20).toFixed(0)} MiB to one host`, '', uploadTable(r.upload));
  if (r.scale?.length) parts.push('', '## 4. Scale', '', scaleTable(r.scale));
  if (r.sftp_choice) {
    parts.push('', `## 5. SFTP library choice (bench/sftp-choice.ts, ${r.sftp_choice.flows} flows, 8 at a time, 1 host)`, '', '```', ...r.sftp_choice.lines, '```');
  }
  if (r.transfer) parts.push('', `## 6. Transfer without SFTP: exec channels next to SFTP, 1 host`, '', transferTable(r.transfer));
  if (r.rtt) {
    const [n1, n2] = r.rtt.branches;
    parts.push(
      '',
      `## 7. Round trips: 1 host behind a latency proxy, 1 slot, ${n1} and ${n2} branches in sequence (${r.rtt.work})`,
      '',
      `Per branch = (wall at ${n2} - wall at ${n1}) / ${n2 - n1}; fixed part = wall at ${n1} - ${n1} x per branch (client startup, connect, preflight, staging, cleanup). tea-remote runs in a workdir an earlier run left (basefile cached), and once per repetition at ${n1} branches on a fresh one (first run). ` +
        `Round trips (wall) = the cost over the cost at ${Math.min(...r.rtt.rtts)} ms, divided by the added RTT. Round trips (proxy flights) = client flights through the proxy (bench/lib/latency-proxy.ts; an upper bound, TCP handshakes not seen).`,
      '',
      rttTable(r.rtt),
    );
  }
  if (r.warm) parts.push('', `## 8. Warm runner (issue 19): host CPU per branch and scale`, '', warmTable(r.warm));
  return `${parts.join('\n')}\n`;
}

function warmTable(w: WarmRow): string {
  const rows = (['tea-remote', 'tea-warm'] as const).map((runner) => [
    `${LABELS[runner]}, ${w.branches} real branches over ${w.hosts} hosts`,
    spread(walls(w.samples[runner])),
    spread(w.host_cpu_ms[runner] ?? []),
    rss(w.samples[runner]),
    '-',
    lostCell(w.samples[runner]),
  ]);
  if (w.scale) {
    const sc = w.scale;
    const peak = max(sc.runner_peak_rss);
    rows.push([
      `${LABELS['tea-warm']}, ${sc.branches} real branches over ${sc.hosts} hosts, ${sc.slots} slots`,
      spread(walls(sc.samples)),
      '-',
      rss(sc.samples),
      `${MB(peak)} per host, ${MB(peak / sc.slots)} per slot`,
      lostCell(sc.samples),
    ]);
  }
  return [
    'Host CPU per branch: what every process on the hosts used for the run (sshd included; the sshd processes of the hosts and all they start are in one cpuacct cgroup), divided by the branches; the body is trivial, so this is the extra CPU of a branch on its host (the start of the runner amortized over the branches of the host included).',
    '',
    table(['run', 'wall: median (range)', 'host CPU per branch: median (range)', 'client peak RSS', 'runner peak RSS (hosts)', 'lost'], rows),
  ].join('\n');
}
