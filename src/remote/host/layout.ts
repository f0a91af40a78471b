import { posix } from 'node:path';

/**
 * Where things live on a host (POSIX paths whatever the client OS):
 *   <workdir>/.cache/tea-<sha256:16>   content-addressed basefile, shared by runs
 *   <workdir>/run-<runId>/workflow.yaml  the full workflow, once per run
 *   <workdir>/run-<runId>/<fanout>-<index>-a<attempt>/{input.json,result.json}
 * Every run and every attempt has its own directory, so concurrent runs and
 * retried attempts never touch each other's files.
 */
export interface RunLayout {
  root: string;
  cacheDir: string;
  runDir: string;
  workflow: string;
}

export function runLayout(root: string, runId: string): RunLayout {
  const runDir = posix.join(root, `run-${runId}`);
  return { root, cacheDir: posix.join(root, '.cache'), runDir, workflow: posix.join(runDir, 'workflow.yaml') };
}

export function basefilePath(layout: RunLayout, sha256: string): string {
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
