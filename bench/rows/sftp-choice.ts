import { join } from 'node:path';
import { timed } from '../lib/spawn';
import type { RowContext } from './measure';

export interface SftpChoiceRow {
  flows: number;
  /** bench/sftp-choice.ts's own report: one line per library, median of its 3 rounds. */
  lines: string[];
}

/** Row 5: the SFTP library choice recorded in docs/decisions.md, re-measured on these hosts. */
export async function sftpChoiceRow(ctx: RowContext): Promise<SftpChoiceRow> {
  const { cluster } = ctx.env;
  const host = cluster.first(1)[0]!;
  ctx.log(`row 5, SFTP choice, ${ctx.opts.sftpChoiceFlows} flows on 1 host`);
  const r = await timed(process.execPath, [
    join(ctx.env.dist, 'sftp-choice.js'), '127.0.0.1', String(host.port), cluster.user, cluster.keyPath, String(ctx.opts.sftpChoiceFlows),
  ], { timeoutMs: 30 * 60_000 });
  if (r.code !== 0) throw new Error(`sftp-choice exited ${r.code}: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  return { flows: ctx.opts.sftpChoiceFlows, lines: r.stdout.trim().split('\n').filter(Boolean) };
}
