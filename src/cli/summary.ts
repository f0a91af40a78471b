import { errorMessage, isTeaError } from '../cli-api';
import type { RunEvent } from '../cli-api';

export interface FanOutSummary {
  node: string;
  fan_in: string;
  branches: number;
  succeeded: number;
  failed: number;
  /** Attempts beyond each branch's first. */
  retries: number;
  duration_ms: number;
}

export interface HostSummary {
  attempts: number;
  ok: number;
  failed: number;
}

/** What `tea run --json` prints: one object on stdout. */
export interface RunSummary {
  status: 'succeeded' | 'failed' | 'cancelled';
  exit_code: number;
  started_at: string;
  duration_ms: number;
  output: string | null;
  fanouts: FanOutSummary[];
  hosts: Record<string, HostSummary>;
  error?: { code: string; message: string; host?: string; branch?: string };
}

/** Collects a run's summary from its events. */
export class SummaryCollector {
  readonly #started = Date.now();
  readonly #fanouts: FanOutSummary[] = [];
  readonly #hosts: Record<string, HostSummary> = {};

  readonly onEvent = (event: RunEvent): void => {
    if (event.type !== 'fanout:finished') return;
    let retries = 0;
    for (const r of event.results) {
      retries += Math.max(0, r.attempts.length - 1);
      for (const a of r.attempts) {
        const host = (this.#hosts[a.host ?? 'local'] ??= { attempts: 0, ok: 0, failed: 0 });
        host.attempts += 1;
        if (a.ok) host.ok += 1;
        else host.failed += 1;
      }
    }
    const succeeded = event.results.filter((r) => r.success).length;
    this.#fanouts.push({
      node: event.node,
      fan_in: event.fan_in,
      branches: event.results.length,
      succeeded,
      failed: event.results.length - succeeded,
      retries,
      duration_ms: event.duration_ms,
    });
  };

  finish(exitCode: number, output: string | null, error?: unknown): RunSummary {
    const cancelled = isTeaError(error) && error.code === 'E_CANCELLED';
    return {
      status: error === undefined ? 'succeeded' : cancelled ? 'cancelled' : 'failed',
      exit_code: exitCode,
      started_at: new Date(this.#started).toISOString(),
      duration_ms: Date.now() - this.#started,
      output,
      fanouts: this.#fanouts,
      hosts: this.#hosts,
      ...(error === undefined
        ? {}
        : {
            error: {
              code: isTeaError(error) ? error.code : 'E_INTERNAL',
              message: errorMessage(error),
              ...(isTeaError(error) && error.host !== undefined ? { host: error.host } : {}),
              ...(isTeaError(error) && error.flow !== undefined ? { branch: error.flow } : {}),
            },
          }),
    };
  }
}
