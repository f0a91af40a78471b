import type { Work } from '../lib/args';
import { measure, stored, type RowContext, type Runner, type Sample } from './measure';

export interface ScaleRow {
  branches: number;
  hosts: number;
  slots: number;
  work: Work;
  samples: Partial<Record<Runner, Sample[]>>;
}

/**
 * Row 4: many branches over many hosts: tea-remote (and the floor for reference)
 * with wall time, the client's peak RSS, logins per host and lost flows.
 */
export async function scaleRows(ctx: RowContext): Promise<ScaleRow[]> {
  const { opts } = ctx;
  const runners = (['tea-remote', 'floor'] as Runner[]).filter((r) => opts.transports.includes(r as never));
  const rows: ScaleRow[] = [];
  for (const { branches, hosts } of opts.scale) {
    const row: ScaleRow = { branches, hosts, slots: opts.scaleSlots, work: opts.scaleWork, samples: {} };
    const spec = { hosts: ctx.env.cluster.first(hosts), slots: opts.scaleSlots, branches, work: opts.scaleWork };
    for (let rep = 1; rep <= opts.reps; rep += 1) {
      ctx.log(`row 4, scale ${branches} branches over ${hosts} hosts (${opts.scaleWork}), repetition ${rep}/${opts.reps}`);
      for (const runner of runners) (row.samples[runner] ??= []).push(stored(await measure(ctx, runner, spec)));
    }
    rows.push(row);
  }
  return rows;
}
