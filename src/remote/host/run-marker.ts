import { hostname } from 'node:os';

/**
 * The run marker `<run dir>/.tea-run` (issue 14; docs/decisions.md "Run markers"): who runs
 * there, since when, and how long its silence may last before a later run may treat the
 * directory as a dead run's. Its mtime is the heartbeat: the session rewrites it every
 * `heartbeatSeconds` (a fifth of `dead_after`) while the run holds the host. The sweep
 * (leftovers.ts) trusts the bound the WRITER promised, never its own settings, so clients
 * with different settings never misjudge each other.
 */
export interface RunMarker {
  runId: string;
  /** The run's `stale_run_seconds`: silent longer than this, the directory is dead (unless branch processes run). */
  deadAfterSeconds: number;
  /** cleanup: false: the directory is meant to stay; only `tea hosts clean` removes it. */
  keep: boolean;
  startedAt: Date;
  /** Written by the close of a cleanup: false run: the directory is finished, kept on purpose. */
  ended?: boolean;
}

/** How often a run refreshes its marker: a fifth of the bound, so four missed beats still leave it live. */
export function heartbeatSeconds(deadAfterSeconds: number): number {
  return Math.max(1, Math.floor(deadAfterSeconds / 5));
}

/** The marker's text: `key=value` lines, only [A-Za-z0-9._: -] in values (the sweep reads them with sed). */
export function markerText(marker: RunMarker): string {
  const safe = (value: string) => value.replace(/[^A-Za-z0-9._: -]/g, '_');
  return [
    'tea-run-marker=1',
    `run_id=${safe(marker.runId)}`,
    `client=${safe(hostname())} pid ${process.pid}`,
    `started=${marker.startedAt.toISOString()}`,
    `dead_after=${Math.floor(marker.deadAfterSeconds)}`,
    `keep=${marker.keep ? 1 : 0}`,
    ...(marker.ended === true ? ['ended=1'] : []),
    '',
  ].join('\n');
}
