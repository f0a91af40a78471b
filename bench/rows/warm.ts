import { existsSync, mkdirSync, readFileSync, readdirSync, rmdirSync, writeFileSync } from 'node:fs';
import type { BenchHost } from '../lib/cluster';
import { measure, stored, type RowContext, type Runner, type Sample } from './measure';

/**
 * Row 8 (issue 19): the warm runner against a process per branch.
 * - Host CPU per branch: the same real fan-out (row 1's size) with `runner: process` and
 *   `runner: warm`, and the CPU everything on the hosts used for it (HostCpu: a cgroup
 *   holding the hosts' sshd processes and all they start), sshd's own share per connection
 *   included, divided by the branches. The body is trivial, so this is the branch's extra
 *   CPU on its host.
 * - Scale: `warmScale` real branches over hosts with the warm runner: results, client peak
 *   RSS, and the runners' peak RSS on the hosts (sampled from /proc while it runs: the hosts
 *   are this machine), per host and per slot.
 */
export interface WarmRow {
  branches: number;
  hosts: number;
  slots: number;
  /** Per repetition, host CPU ms per branch. */
  host_cpu_ms: Partial<Record<'tea-remote' | 'tea-warm', number[]>>;
  samples: Partial<Record<Runner, Sample[]>>;
  scale?: {
    branches: number;
    hosts: number;
    slots: number;
    samples: Sample[];
    /** Per repetition: the largest RSS of one runner process (bytes). */
    runner_peak_rss: number[];
  };
}

const CPUACCT = '/sys/fs/cgroup/cpuacct';

/**
 * The CPU of everything the hosts run, exited processes included: the hosts' sshd listeners
 * are moved into a cgroup (v1 cpuacct) of their own, which every session process they start
 * inherits; `cpuacct.usage` is the group's total CPU in ns. Needs root and a cpuacct mount;
 * without them host CPU is not measured (reported as such).
 */
class HostCpu {
  private constructor(private readonly dir: string, private readonly pids: number[]) {}

  static open(ctx: RowContext, hosts: BenchHost[]): HostCpu | null {
    const dir = `${CPUACCT}/tea-bench-${process.pid}`;
    const pids = hosts.map((h) => ctx.env.cluster.cluster.hosts[h.index]!.pid);
    try {
      if (!existsSync(dir)) mkdirSync(dir);
      for (const pid of pids) writeFileSync(`${dir}/cgroup.procs`, String(pid));
      return new HostCpu(dir, pids);
    } catch (error) {
      ctx.log(`row 8: host CPU not measured (cgroup ${dir}: ${(error as Error).message})`);
      return null;
    }
  }

  /** Total CPU ms so far, once the hosts' processes of the last run have ended (bounded wait). */
  async ms(): Promise<number> {
    const until = Date.now() + 10_000;
    while (Date.now() < until && this.members() > this.pids.length) await new Promise((r) => setTimeout(r, 100));
    return Number(readFileSync(`${this.dir}/cpuacct.usage`, 'utf8').trim()) / 1e6;
  }

  members(): number {
    return readFileSync(`${this.dir}/cgroup.procs`, 'utf8').split('\n').filter(Boolean).length;
  }

  close(): void {
    try {
      for (const pid of readFileSync(`${this.dir}/cgroup.procs`, 'utf8').split('\n').filter(Boolean)) writeFileSync(`${CPUACCT}/cgroup.procs`, pid);
      rmdirSync(this.dir);
    } catch {
      /* the bench's exit stops the hosts; an empty group is removed next time */
    }
  }
}

/** The largest RSS of a `tea __runner` process now (bytes). */
function runnerRss(): number {
  let peak = 0;
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (!readFileSync(`/proc/${name}/cmdline`, 'utf8').includes('\0__runner\0')) continue;
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${name}/status`, 'utf8'));
      if (m) peak = Math.max(peak, Number(m[1]) * 1024);
    } catch {
      /* gone */
    }
  }
  return peak;
}

export async function warmRow(ctx: RowContext): Promise<WarmRow> {
  const { opts } = ctx;
  const hosts = ctx.env.cluster.first(opts.hosts);
  const spec = { hosts, slots: opts.slots, branches: opts.branches, work: 'tea' as const };
  const row: WarmRow = { branches: opts.branches, hosts: opts.hosts, slots: opts.slots, host_cpu_ms: {}, samples: {} };
  const cpu = HostCpu.open(ctx, hosts);
  try {
    for (let rep = 1; rep <= opts.reps; rep += 1) {
      ctx.log(`row 8, host CPU per branch, ${opts.branches} real branches over ${opts.hosts} hosts, process vs warm, repetition ${rep}/${opts.reps}`);
      for (const runner of ['tea-remote', 'tea-warm'] as const) {
        const before = (await cpu?.ms()) ?? NaN;
        const sample = stored(await measure(ctx, runner, spec));
        const after = (await cpu?.ms()) ?? NaN;
        (row.samples[runner] ??= []).push(sample);
        if (cpu !== null) (row.host_cpu_ms[runner] ??= []).push(Math.round(((after - before) / opts.branches) * 10) / 10);
      }
    }
  } finally {
    cpu?.close();
  }
  const { branches, hosts: hostCount } = opts.warmScale;
  const scaleHosts = ctx.env.cluster.first(hostCount);
  const scale: NonNullable<WarmRow['scale']> = { branches, hosts: hostCount, slots: opts.slots, samples: [], runner_peak_rss: [] };
  for (let rep = 1; rep <= opts.reps; rep += 1) {
    ctx.log(`row 8, warm runner at scale, ${branches} real branches over ${hostCount} hosts, repetition ${rep}/${opts.reps}`);
    let peak = 0;
    const sampler = setInterval(() => (peak = Math.max(peak, runnerRss())), 100);
    try {
      scale.samples.push(stored(await measure(ctx, 'tea-warm', { hosts: scaleHosts, slots: opts.slots, branches, work: 'tea' })));
    } finally {
      clearInterval(sampler);
    }
    scale.runner_peak_rss.push(peak);
  }
  row.scale = scale;
  return row;
}
