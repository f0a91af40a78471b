import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

export interface Timed {
  wallMs: number;
  code: number | null;
  stdout: string;
  stderr: string;
  /** Peak RSS in bytes, for node processes started through `node()`. */
  peakRss?: number;
}

export interface SpawnOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Kill after this long; a benchmark must not hang the machine. */
  timeoutMs?: number;
}

/** The environment measured processes get: no agent (tea and ssh would try it before the key). */
export function benchEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = { ...process.env, ...extra };
  delete env.SSH_AUTH_SOCK;
  return env;
}

/** Runs a command, timing it from spawn to exit (wall clock, hrtime). */
export function timed(cmd: string, args: string[], opts: SpawnOptions = {}): Promise<Timed> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? benchEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString('utf8')).slice(-20_000)));
    const timer = opts.timeoutMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`${cmd}: ${e.message}`));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ wallMs: Number(process.hrtime.bigint() - started) / 1e6, code, stdout, stderr });
    });
  });
}

/**
 * Runs a Node script with bench/dist/rss-probe.js preloaded, which reports the
 * process's own peak RSS (getrusage maxrss) when it exits.
 */
export async function node(distDir: string, scratch: string, args: string[], opts: SpawnOptions = {}): Promise<Timed> {
  const rssFile = join(scratch, `rss-${process.hrtime.bigint()}.txt`);
  const env = { ...(opts.env ?? benchEnv()), TEA_BENCH_RSS_FILE: rssFile };
  // TEA_BENCH_CPU_PROF=DIR: a V8 CPU profile of every measured Node client (bench/README.md "Profiling").
  const prof = process.env.TEA_BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.TEA_BENCH_CPU_PROF}`] : [];
  const result = await timed(process.execPath, [...prof, '-r', join(distDir, 'rss-probe.js'), ...args], { ...opts, env });
  try {
    result.peakRss = Number(readFileSync(rssFile, 'utf8')) * 1024;
    rmSync(rssFile, { force: true });
  } catch {
    /* the process died before its exit hook: no figure */
  }
  return result;
}

/** Runs `work(i)` for i in [0, n) with at most `limit` at a time. */
export async function pool(n: number, limit: number, work: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, n) }, async () => {
    while (next < n) await work(next++);
  }));
}
