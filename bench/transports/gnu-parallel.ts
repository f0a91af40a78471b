import { join } from 'node:path';
import { timed } from '../lib/spawn';
import { JOIN } from '../lib/workflow';
import { gnuParallelArgv } from './gnu-parallel-plan';
import { assertPlain, collectLocal, stageLocally, tail } from './stage';
import type { FanoutRunner } from './types';

/** The GNU Parallel plan run by the real `parallel` (rsync and perl on both sides). */
export const runGnuParallel: FanoutRunner = async (job, env) => {
  assertPlain(job.scratch, job.remoteDir, env.cluster.keyPath, env.cluster.knownHostsPath);
  const names = stageLocally(job, env);
  const argv = gnuParallelArgv({
    sshCommand: ['ssh', ...env.cluster.sshOptions()],
    hosts: job.hosts.map((h) => ({ slots: job.slots, user: env.cluster.user, port: h.port })),
    workdir: job.remoteDir,
    branches: names,
    exitPoint: JOIN,
    joblog: join(job.scratch, 'joblog.tsv'),
  });
  const r = await timed('parallel', argv, { cwd: job.scratch, timeoutMs: job.timeoutMs });
  return collectLocal(job, names, r.wallMs, r.code === 0 ? undefined : `parallel exited ${r.code}: ${tail(r.stderr)}`);
};
