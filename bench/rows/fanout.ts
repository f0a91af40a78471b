import type { Work } from '../lib/args';
import { median } from '../lib/stats';
import { measure, round, stored, type RowContext, type Runner, type Sample } from './measure';

export type SampleTable = Partial<Record<Work, Partial<Record<Runner, Sample[]>>>>;

export interface FanoutRow {
  hosts: number;
  slots: number;
  branches: number;
  samples: SampleTable;
}

export interface DispatchRow {
  branches: number;
  samples: SampleTable;
  /** Median over every branch of every repetition: time per branch on the client's side (dispatch + run + read-back). */
  branch_latency_ms: Partial<Record<Work, Partial<Record<Runner, number>>>>;
}

const WORKS: Work[] = ['tea', 'stub'];

function push(table: SampleTable, work: Work, runner: Runner, sample: Sample): void {
  const byRunner = (table[work] ??= {});
  (byRunner[runner] ??= []).push(sample);
}

/**
 * Row 1: the fan-out over several hosts, every transport plus the local reference,
 * with real `tea run`s (1a) and with the stub basefile (1b, dispatch only).
 * Repetitions are interleaved so slow phases of a shared machine hit every transport.
 */
export async function fanoutRow(ctx: RowContext): Promise<FanoutRow> {
  const { opts } = ctx;
  const spec = { hosts: ctx.env.cluster.first(opts.hosts), slots: opts.slots, branches: opts.branches };
  const row: FanoutRow = { hosts: opts.hosts, slots: opts.slots, branches: opts.branches, samples: {} };
  for (let rep = 1; rep <= opts.reps; rep += 1) {
    ctx.log(`row 1, fan-out ${opts.branches} branches over ${opts.hosts} hosts, repetition ${rep}/${opts.reps}`);
    for (const work of WORKS) {
      for (const runner of [...opts.transports, 'local'] as Runner[]) {
        // The stub basefile is a shell script: it cannot be a warm runner (tea-remote would run processes).
        if (runner === 'tea-warm' && work === 'stub') continue;
        push(row.samples, work, runner, stored(await measure(ctx, runner, { ...spec, work })));
      }
    }
  }
  return row;
}

/**
 * Row 2: per-branch dispatch overhead in isolation: one host, one slot, branches one
 * after another (no CPU contention between remote runs), tea-remote against the raw
 * floor, with the local reference giving the run time to subtract.
 */
export async function dispatchRow(ctx: RowContext): Promise<DispatchRow> {
  const { opts } = ctx;
  const runners = (['tea-remote', 'floor'] as Runner[]).filter((r) => opts.transports.includes(r as never));
  const spec = { hosts: ctx.env.cluster.first(1), slots: 1, branches: opts.branches };
  const row: DispatchRow = { branches: opts.branches, samples: {}, branch_latency_ms: {} };
  const pooled: Partial<Record<Work, Partial<Record<Runner, number[]>>>> = {};
  for (let rep = 1; rep <= opts.reps; rep += 1) {
    ctx.log(`row 2, dispatch overhead, ${opts.branches} branches in sequence on 1 host, repetition ${rep}/${opts.reps}`);
    for (const work of WORKS) {
      for (const runner of [...runners, 'local'] as Runner[]) {
        const sample = await measure(ctx, runner, { ...spec, work });
        push(row.samples, work, runner, stored(sample));
        const list = ((pooled[work] ??= {})[runner] ??= []);
        list.push(...(sample.latencyMs ?? []));
      }
    }
  }
  for (const work of WORKS) {
    for (const [runner, list] of Object.entries(pooled[work] ?? {})) {
      (row.branch_latency_ms[work] ??= {})[runner as Runner] = round(median(list));
    }
  }
  return row;
}
