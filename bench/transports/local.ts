import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { codeCachesBeside } from '../../src/util/code-cache';
import { pool, timed } from '../lib/spawn';
import { JOIN } from '../lib/workflow';
import { collectLocal, stageLocally } from './stage';
import type { FanoutOutcome, FanoutRunner } from './types';

/**
 * The reference, not a transport: the same scoped `tea run`s on this machine, the
 * same number at a time, no SSH. On loopback the hosts ARE this machine, so this is
 * the remote run time the other rows contain; dispatch overhead = wall - this.
 * They start warm, as tea-remote's branches do: dist/tea's V8 code cache goes beside
 * the copy, as tea-remote stages it beside the basefile on hosts with the same Node.
 */
export const runLocal: FanoutRunner = async (job, env) => {
  const names = stageLocally(job, env);
  const cache = job.work === 'tea' ? codeCachesBeside(env.tea, process.version, process.arch)[0] : undefined;
  if (cache !== undefined) copyFileSync(cache, `${join(job.scratch, 'tea')}${cache.slice(env.tea.length)}`);
  const latencyMs: number[] = [];
  const started = process.hrtime.bigint();
  await pool(names.length, job.slots * job.hosts.length, async (i) => {
    const b = names[i]!;
    const r = await timed(join(job.scratch, 'tea'), ['run', 'workflow.yaml', '--entry-point', b, '--exit-point', JOIN, '--input', `${b}.in.json`, '--output', `${b}.out.json`], { cwd: job.scratch, timeoutMs: job.timeoutMs });
    latencyMs[i] = r.wallMs;
    if (r.code !== 0) writeFileSync(join(job.scratch, `${b}.err`), r.stderr);
  });
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  const outcome: FanoutOutcome = collectLocal(job, names, wallMs);
  return { ...outcome, latencyMs };
};

