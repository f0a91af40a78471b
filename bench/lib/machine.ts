import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';

export interface Machine {
  date: string;
  commit: string;
  nproc: number;
  cpu: string;
  kernel: string;
  memory_gb: number;
  node: string;
  openssh: string;
  gnu_parallel: string;
  rsync: string;
  /** /proc/loadavg's 1/5/15-minute figures: the machine may be shared, results are only as quiet as this. */
  load_start: string;
  load_end?: string;
}

/** First line a tool prints about itself (`ssh -V` writes to stderr). */
function version(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.error) return 'not installed';
  return `${r.stdout}${r.stderr}`.trim().split('\n')[0] ?? '';
}

export function loadavg(): string {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
}

export function describeMachine(root: string): Machine {
  return {
    date: new Date().toISOString(),
    commit: version('git', ['-C', root, 'rev-parse', '--short', 'HEAD']),
    nproc: cpus().length,
    cpu: cpus()[0]?.model ?? 'unknown',
    kernel: release(),
    memory_gb: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    openssh: version('ssh', ['-V']),
    gnu_parallel: version('parallel', ['--version']),
    rsync: version('rsync', ['--version']).replace(/\s+protocol.*/, ''),
    load_start: loadavg(),
  };
}
