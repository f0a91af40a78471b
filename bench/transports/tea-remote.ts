import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { node } from '../lib/spawn';
import type { JoinSummary } from '../lib/workflow';
import { tail, workflowText } from './stage';
import type { FanoutRunner } from './types';

/**
 * `node dist/tea run workflow.yaml` end to end, as a user runs it, timed from process
 * start to exit: the client's startup, the local start and join nodes, connecting,
 * staging and cleanup are all inside the figure. `remoteExtra` goes into
 * settings.parallel.remote (the GNU Parallel row sets `gnu_parallel: run`).
 */
export function teaCli(remoteExtra: Record<string, unknown>): FanoutRunner {
  return async (job, env) => {
    const wf = join(job.scratch, 'workflow.yaml');
    const out = join(job.scratch, 'out.json');
    writeFileSync(wf, workflowText(job, env, remoteExtra));
    const r = await node(env.dist, job.scratch, [env.tea, 'run', wf, '--output', out, '-q'], { timeoutMs: job.timeoutMs });
    const base = { wallMs: r.wallMs, ...(r.peakRss === undefined ? {} : { peakRss: r.peakRss }) };
    if (r.code !== 0) {
      // The whole stderr beside the run's files (--keep keeps them): a crash's stack is longer than a tail.
      writeFileSync(join(job.scratch, 'tea.stderr'), r.stderr);
      return { ...base, ok: 0, lost: job.branches, error: `tea exited ${r.code}: ${tail(r.stderr, 12)}` };
    }
    const summary = (JSON.parse(readFileSync(out, 'utf8')) as { summary: JoinSummary }).summary;
    return {
      ...base,
      ok: summary.ok,
      lost: job.branches - summary.ok,
      retries: summary.retries,
      latencyMs: summary.latency_ms,
      ...(summary.first_error ? { error: summary.first_error } : {}),
    };
  };
}

/** tea-remote's default transport: pure-Node ssh2. */
export const runTeaRemote: FanoutRunner = teaCli({});

/** The same with `runner: warm`: one runner per host connection, a worker_thread per branch (issue 19). */
export const runTeaWarm: FanoutRunner = teaCli({ runner: 'warm' });
