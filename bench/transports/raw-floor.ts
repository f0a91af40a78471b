import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { branchInput, branchNames, isGoodResult, JOIN } from '../lib/workflow';
import { node } from '../lib/spawn';
import type { FloorConfig, FloorOutput } from '../floor';
import { branchText, tail } from './stage';
import { basefileOf, type FanoutRunner } from './types';

/** The raw ssh2 floor (bench/floor.ts) in its own process, like the tea client. */
export const runFloor: FanoutRunner = async (job, env) => {
  const config: FloorConfig = {
    ports: job.hosts.map((h) => h.port),
    user: env.cluster.user,
    keyPath: env.cluster.keyPath,
    remoteDir: job.remoteDir,
    basefile: basefileOf(job, env),
    workflowText: branchText(job, env),
    branches: branchNames(job.branches),
    exitPoint: JOIN,
    slots: job.slots,
    input: JSON.stringify(branchInput(job.work)),
    outFile: join(job.scratch, 'floor-out.json'),
  };
  const configPath = join(job.scratch, 'floor.json');
  writeFileSync(configPath, JSON.stringify(config));
  const r = await node(env.dist, job.scratch, [join(env.dist, 'floor.js'), configPath], { timeoutMs: job.timeoutMs });
  const base = { wallMs: r.wallMs, ...(r.peakRss === undefined ? {} : { peakRss: r.peakRss }) };
  if (r.code !== 0) return { ...base, ok: 0, lost: job.branches, error: `floor exited ${r.code}: ${tail(r.stderr)}` };
  const out = JSON.parse(readFileSync(config.outFile, 'utf8')) as FloorOutput;
  const ok = out.results.filter((text, i) => isGoodResult(text, i, job.work)).length;
  return {
    ...base,
    ok,
    lost: job.branches - ok,
    latencyMs: out.latencyMs,
    ...(out.errors.length ? { error: out.errors[0] } : {}),
  };
};
