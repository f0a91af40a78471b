import { createHash } from 'node:crypto';
import { posix } from 'node:path';

/**
 * Where things live on a host (POSIX paths whatever the client OS):
 *   <workdir>/.cache/tea-<sha256:16>   content-addressed basefile, shared by runs
 *   <workdir>/run-<runId>-<hostSlug>/workflow.yaml  the full workflow, once per run and host
 *   <workdir>/run-<runId>-<hostSlug>/.tea-run       the run marker (run-marker.ts)
 *   <workdir>/run-<runId>-<hostSlug>/<fanout>-<index>-a<attempt>/{input.json,result.json}
 * Every run, host and attempt has its own directory, so concurrent runs, retried attempts
 * and hosts that share a home directory (NFS: several `user@host:port` of one run, one
 * filesystem) never touch each other's files: one host's close removes its directory only.
 */
export interface RunLayout {
  root: string;
  cacheDir: string;
  runDir: string;
  workflow: string;
  /** The run marker: who runs here, since when, and its heartbeat (its mtime). */
  marker: string;
}

/**
 * A short, stable, shell-safe name for one `user@host:port`: `h` and 10 hex digits of its
 * sha256. Only [0-9a-z], so it needs no quoting and no host name shape reaches a path.
 */
export function hostSlug(hostId: string): string {
  return `h${createHash('sha256').update(hostId).digest('hex').slice(0, 10)}`;
}

/** The run directory's name for one run on one host. */
export function runDirName(runId: string, slug: string): string {
  return `run-${runId}-${slug}`;
}

export function runLayout(root: string, runId: string, slug: string): RunLayout {
  const runDir = posix.join(root, runDirName(runId, slug));
  return { root, cacheDir: posix.join(root, '.cache'), runDir, workflow: posix.join(runDir, 'workflow.yaml'), marker: posix.join(runDir, MARKER_NAME) };
}

/** The run marker's file name inside a run directory. */
export const MARKER_NAME = '.tea-run';

export function cacheDirOf(root: string): string {
  return posix.join(root, '.cache');
}

export function basefilePath(layout: Pick<RunLayout, 'cacheDir'>, sha256: string): string {
  return posix.join(layout.cacheDir, `tea-${sha256.slice(0, 16)}`);
}

export function flowDir(layout: RunLayout, fanout: number, index: number, attempt: number): string {
  return posix.join(layout.runDir, `${fanout}-${index}-a${attempt}`);
}

/** SFTP has no `~`: `~/x` means `x` relative to the login directory. */
export function sftpPath(workdir: string): string {
  if (workdir === '~') return '.';
  return workdir.startsWith('~/') ? workdir.slice(2) : workdir;
}
