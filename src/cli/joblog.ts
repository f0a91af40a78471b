import { closeSync, openSync, writeSync } from 'node:fs';
import { TeaError } from '../cli-api';
import type { RunEvent } from '../cli-api';

/**
 * `tea run --joblog FILE`: one tab-separated row per branch attempt, after a header.
 * Columns named like GNU Parallel's joblog where they mean the same thing (Seq,
 * Host, Starttime as epoch seconds, JobRuntime in seconds, Exitval, Signal), then
 * ours. Rows are written when a fan-out ends, from its results' attempts. A branch that
 * failed before any attempt (no healthy host left, cancelled while queued) gets one row
 * with Attempt 0 and Host `-`, so every branch of the fan-out is in the file.
 */
export const JOBLOG_COLUMNS = ['Seq', 'Host', 'Starttime', 'JobRuntime', 'Exitval', 'Signal', 'ErrorCode', 'Branch', 'Attempt', 'FanOut', 'Strategy'] as const;

/** Rows for one finished fan-out; `seq` continues over the run. */
export function joblogRows(event: Extract<RunEvent, { type: 'fanout:finished' }>, firstSeq: number, fanOutStartMs = Date.now() - event.duration_ms): string[][] {
  const rows: string[][] = [];
  let seq = firstSeq;
  for (const result of event.results) {
    if (result.attempts.length === 0 && !result.success) {
      rows.push([String(seq++), '-', (fanOutStartMs / 1000).toFixed(3), '0.000', '-1', '0', result.error_code ?? '', result.branch, '0', event.node, result.strategy]);
      continue;
    }
    result.attempts.forEach((a, i) => {
      // Exitval: the remote process's exit status; 0 for a success, -1 when there is none (lost connection, timeout, local error).
      const exitval = a.exit_code ?? (a.ok ? 0 : -1);
      rows.push([
        String(seq++),
        a.host ?? 'local',
        (Date.parse(a.started_at) / 1000).toFixed(3),
        (a.duration_ms / 1000).toFixed(3),
        String(exitval),
        a.signal ?? '0',
        a.ok ? '' : a.error_code ?? result.error_code ?? '',
        result.branch,
        String(i + 1),
        event.node,
        result.strategy,
      ]);
    });
  }
  return rows;
}

const clean = (cell: string) => cell.replace(/[\t\r\n]/g, ' ');

export class JobLog {
  #fd: number;
  #seq = 1;

  private constructor(fd: number) {
    this.#fd = fd;
    this.#write([...JOBLOG_COLUMNS]);
  }

  /** Creates (truncates) the file and writes the header; fails before the run starts. */
  static open(path: string): JobLog {
    try {
      return new JobLog(openSync(path, 'w'));
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? String(error);
      throw new TeaError('E_USAGE', `--joblog ${path}: cannot write it (${code}); pass a writable file path`);
    }
  }

  readonly onEvent = (event: RunEvent): void => {
    if (event.type !== 'fanout:finished' || this.#fd < 0) return;
    const rows = joblogRows(event, this.#seq);
    this.#seq += rows.length;
    for (const row of rows) this.#write(row);
  };

  #write(row: string[]): void {
    writeSync(this.#fd, `${row.map(clean).join('\t')}\n`);
  }

  close(): void {
    if (this.#fd < 0) return;
    closeSync(this.#fd);
    this.#fd = -1;
  }
}
