import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchOptions, Transport, Work } from '../lib/args';
import { median } from '../lib/stats';
import { runGnuParallel } from '../transports/gnu-parallel';
import { runLocal } from '../transports/local';
import { runOpenSsh } from '../transports/openssh';
import { runFloor } from '../transports/raw-floor';
import { runTeaRemote, runTeaWarm } from '../transports/tea-remote';
import type { BenchEnv, FanoutOutcome, FanoutRunner } from '../transports/types';
import type { BenchHost } from '../lib/cluster';

export type Runner = Transport | 'local';

export const RUNNERS: Record<Runner, FanoutRunner> = {
  'tea-remote': runTeaRemote,
  'tea-warm': runTeaWarm,
  floor: runFloor,
  openssh: runOpenSsh,
  'gnu-parallel': runGnuParallel,
  local: runLocal,
};

export const LABELS: Record<Runner, string> = {
  'tea-remote': 'tea-remote (dist/tea, pure-Node ssh2)',
  'tea-warm': 'tea-remote, warm runner (runner: warm)',
  floor: 'raw ssh2 floor (bench/floor.ts)',
  openssh: 'OpenSSH ssh/scp per step (bench/openssh-fanout.sh)',
  'gnu-parallel': 'GNU Parallel plan (dist/tea, gnu_parallel: run)',
  local: 'reference: the same `tea run`s locally, no SSH',
};

/** One run's figures as stored in latest.json (per-branch latencies reduced to their median). */
export interface Sample {
  wall_ms: number;
  ok: number;
  lost: number;
  retries?: number;
  peak_rss?: number;
  /** Logins per host during the run, from the sshd logs. */
  logins: number[];
  latency_median_ms?: number;
  error?: string;
}

export interface RowContext {
  env: BenchEnv;
  opts: BenchOptions;
  /** Local scratch root and the hosts' remote root for this bench run. */
  scratch: string;
  remote: string;
  log: (message: string) => void;
}

let serial = 0;

/** Runs one fan-out with fresh local and remote directories, counting logins from the sshd logs. */
export async function measure(
  ctx: RowContext,
  runner: Runner,
  spec: { hosts: BenchHost[]; slots: number; branches: number; work: Work },
): Promise<Sample & { latencyMs?: number[] }> {
  const tag = `${String(++serial).padStart(3, '0')}-${runner}-${spec.work}-${spec.branches}x${spec.hosts.length}`;
  const scratch = join(ctx.scratch, tag);
  mkdirSync(scratch, { recursive: true });
  const before = ctx.env.cluster.logins(spec.hosts);
  const out: FanoutOutcome = await RUNNERS[runner](
    { ...spec, scratch, remoteDir: `${ctx.remote}/${tag}`, timeoutMs: 30 * 60_000 },
    ctx.env,
  );
  const after = ctx.env.cluster.logins(spec.hosts);
  const sample = {
    wall_ms: round(out.wallMs),
    ok: out.ok,
    lost: out.lost,
    ...(out.retries === undefined ? {} : { retries: out.retries }),
    ...(out.peakRss === undefined ? {} : { peak_rss: out.peakRss }),
    logins: runner === 'local' ? [] : after.map((a, i) => a - before[i]!),
    ...(out.latencyMs?.length ? { latency_median_ms: round(median(out.latencyMs)), latencyMs: out.latencyMs } : {}),
    ...(out.error ? { error: out.error } : {}),
  };
  ctx.log(
    `  ${tag}: ${(out.wallMs / 1000).toFixed(2)} s, ${out.ok}/${spec.branches} ok` +
      (out.peakRss ? `, peak RSS ${(out.peakRss / 1e6).toFixed(0)} MB` : '') +
      (out.error ? `, first error: ${out.error.slice(0, 300)}` : ''),
  );
  return sample;
}

export const round = (x: number) => Math.round(x * 10) / 10;

/** Drops the per-branch latencies before storing a sample. */
export function stored(s: Sample & { latencyMs?: number[] }): Sample {
  const { latencyMs: _dropped, ...rest } = s;
  return rest;
}
