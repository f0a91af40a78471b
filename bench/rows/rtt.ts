import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Work } from '../lib/args';
import type { BenchHost } from '../lib/cluster';
import { LatencyProxy } from '../lib/latency-proxy';
import { median } from '../lib/stats';
import { teaCli } from '../transports/tea-remote';
import { round, type RowContext } from './measure';

export const RTT_RUNNERS = ['tea-remote', 'tea-warm', 'gnu-parallel'] as const;
export type RttRunner = (typeof RTT_RUNNERS)[number];

/** One run through the proxy. */
export interface RttSample {
  wall_ms: number;
  ok: number;
  lost: number;
  /** TCP connections through the proxy (tea-remote: 1; GNU Parallel: its ssh and rsync logins, and tea's host-key pin). */
  connections: number;
  /** Client flights through the proxy (latency-proxy.ts): the round trips the client waited for, at most. */
  flights: number;
  error?: string;
}

export interface RttRow {
  work: Work;
  /** The two fan-out sizes: per-branch cost is the slope between them, the fixed part what is left at 0 branches. */
  branches: [number, number];
  rtts: number[];
  /**
   * By RTT (ms, as a string key), runner, then `small`/`large` (the two sizes), one sample per
   * repetition. tea-remote's run in a workdir that earlier runs left (basefile cached), as every
   * run after a host's first does; `first` is its `small` size on a fresh workdir.
   */
  samples: Record<string, Partial<Record<RttRunner, { small: RttSample[]; large: RttSample[]; first?: RttSample[] }>>>;
}

/** known_hosts for the proxy's port: the host's own key, as if it listened there (the proxy forwards bytes only). */
function proxyKnownHosts(ctx: RowContext, host: BenchHost, port: number): string {
  const lines = readFileSync(ctx.env.cluster.knownHostsPath, 'utf8').split('\n').filter((l) => l.startsWith(`[127.0.0.1]:${host.port} `));
  const file = join(ctx.scratch, `known_hosts-proxy-${port}`);
  writeFileSync(file, lines.map((l) => l.replace(`[127.0.0.1]:${host.port} `, `[127.0.0.1]:${port} `)).join('\n') + '\n');
  return file;
}

let serial = 0;

/**
 * Row 7: round trips. One host behind a latency-injecting proxy (bench/lib/latency-proxy.ts)
 * at each RTT, 1 slot, branches one after another; tea-remote and the GNU Parallel plan (its
 * ssh and rsync go through the same proxy port) side by side, each at two fan-out sizes; the
 * warm runner (`runner: warm`, issue 19) beside them.
 * The report derives per-branch cost (slope), the fixed part, and the round trips each
 * implies, from the wall times and from the proxy's flight counts.
 */
export async function rttRow(ctx: RowContext): Promise<RttRow> {
  const { opts } = ctx;
  const host = ctx.env.cluster.first(1)[0]!;
  const runners = RTT_RUNNERS.filter((r) => opts.transports.includes(r));
  const sizes = opts.rttBranches;
  const row: RttRow = { work: opts.rttWork, branches: sizes, rtts: opts.rttMs, samples: {} };
  for (let rep = 1; rep <= opts.reps; rep += 1) {
    for (const rtt of opts.rttMs) {
      const proxy = await LatencyProxy.start({ targetPort: host.port, rttMs: rtt });
      try {
        const knownHosts = proxyKnownHosts(ctx, host, proxy.port);
        const viaProxy: BenchHost = { index: host.index, port: proxy.port, sshlogin: `${ctx.env.cluster.user}@127.0.0.1:${proxy.port}` };
        for (const runner of runners) {
          const extra = { 'gnu-parallel': { gnu_parallel: 'run' }, 'tea-warm': { runner: 'warm' }, 'tea-remote': {} }[runner];
          const run = teaCli({ ...extra, known_hosts: knownHosts });
          // tea-remote keeps one workdir per RTT, warmed by a first run (not measured): the basefile is cached.
          const kept = runner === 'gnu-parallel' ? null : `${ctx.remote}/rtt${rtt}-${runner}`;
          const steps: Array<['warm' | 'first' | 'small' | 'large', number]> = [
            ...(kept !== null && rep === 1 ? [['warm', 1] as ['warm', number]] : []),
            ...(kept !== null ? [['first', sizes[0]] as ['first', number]] : []),
            ['small', sizes[0]],
            ['large', sizes[1]],
          ];
          for (const [key, branches] of steps) {
            ctx.log(`row 7, round trips: ${runner}${key === 'first' ? ' (first run, fresh workdir)' : key === 'warm' ? ' (warming the workdir)' : ''}, ${branches} branches in sequence at ${rtt} ms RTT, repetition ${rep}/${opts.reps}`);
            const tag = `${String(++serial).padStart(3, '0')}-rtt${rtt}-${runner}-${key}-${branches}`;
            const scratch = join(ctx.scratch, tag);
            mkdirSync(scratch, { recursive: true });
            proxy.reset();
            const remoteDir = kept !== null && key !== 'first' ? kept : `${ctx.remote}/${tag}`;
            const out = await run({ hosts: [viaProxy], slots: 1, branches, work: opts.rttWork, scratch, remoteDir, timeoutMs: 30 * 60_000 }, ctx.env);
            const counts = proxy.counts();
            const sample: RttSample = {
              wall_ms: round(out.wallMs),
              ok: out.ok,
              lost: out.lost,
              connections: counts.connections,
              flights: counts.clientFlights,
              ...(out.error ? { error: out.error } : {}),
            };
            ctx.log(`  ${tag}: ${(out.wallMs / 1000).toFixed(2)} s, ${out.ok}/${branches} ok, ${counts.connections} connection(s), ${counts.clientFlights} client flights`);
            if (key === 'warm') continue;
            const cell = ((row.samples[String(rtt)] ??= {})[runner] ??= { small: [], large: [] });
            (cell[key] ??= []).push(sample);
          }
        }
      } finally {
        await proxy.close();
      }
    }
  }
  return row;
}

/** Per-branch cost (slope) and fixed part of one runner at one RTT, from the medians. */
export function rttFigures(row: RttRow, rtt: number, runner: RttRunner) {
  const cell = row.samples[String(rtt)]?.[runner];
  if (cell === undefined) return null;
  const [n1, n2] = row.branches;
  const med = (list: RttSample[], f: (s: RttSample) => number) => median(list.map(f));
  const slope = (med(cell.large, (s) => s.wall_ms) - med(cell.small, (s) => s.wall_ms)) / (n2 - n1);
  const fixed = med(cell.small, (s) => s.wall_ms) - n1 * slope;
  const flightsPerBranch = (med(cell.large, (s) => s.flights) - med(cell.small, (s) => s.flights)) / (n2 - n1);
  const flightsFixed = med(cell.small, (s) => s.flights) - n1 * flightsPerBranch;
  const connectionsPerBranch = (med(cell.large, (s) => s.connections) - med(cell.small, (s) => s.connections)) / (n2 - n1);
  const all = [...cell.small, ...cell.large, ...(cell.first ?? [])];
  const lost = all.reduce((a, s) => a + s.lost, 0);
  const error = all.find((s) => s.error)?.error;
  // A first run on a fresh workdir: the same per-branch cost, a larger fixed part (workdir, upload).
  const firstFixedMs = cell.first?.length ? med(cell.first, (s) => s.wall_ms) - n1 * slope : undefined;
  const firstFlightsFixed = cell.first?.length ? med(cell.first, (s) => s.flights) - n1 * flightsPerBranch : undefined;
  return { perBranchMs: slope, fixedMs: fixed, flightsPerBranch, flightsFixed, connectionsPerBranch, lost, error, firstFixedMs, firstFlightsFixed };
}

/**
 * Round trips implied by the wall time: the extra cost at `rtt` over the cost at the lowest
 * RTT measured (0: loopback), divided by the added RTT. CPU work cancels out.
 */
export function impliedRoundTrips(row: RttRow, rtt: number, runner: RttRunner) {
  const base = Math.min(...row.rtts);
  if (rtt === base) return null;
  const at = rttFigures(row, rtt, runner);
  const b = rttFigures(row, base, runner);
  if (at === null || b === null) return null;
  const added = rtt - base;
  const first = at.firstFixedMs !== undefined && b.firstFixedMs !== undefined ? (at.firstFixedMs - b.firstFixedMs) / added : undefined;
  return { perBranch: (at.perBranchMs - b.perBranchMs) / added, fixed: (at.fixedMs - b.fixedMs) / added, first };
}
