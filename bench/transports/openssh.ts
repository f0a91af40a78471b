import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { timed } from '../lib/spawn';
import { assertPlain, collectLocal, stageLocally, tail } from './stage';
import type { FanoutRunner } from './types';

/** bench/openssh-fanout.sh: one ssh/scp process per step, branches dealt round-robin to the hosts. */
export const runOpenSsh: FanoutRunner = async (job, env) => {
  assertPlain(job.scratch, job.remoteDir, env.cluster.keyPath, env.cluster.knownHostsPath);
  const names = stageLocally(job, env);
  writeFileSync(join(job.scratch, 'jobs'), names.map((b, i) => `${job.hosts[i % job.hosts.length]!.port} ${b}\n`).join(''));
  const args = [
    join(env.root, 'bench/openssh-fanout.sh'),
    job.scratch,
    job.remoteDir,
    String(job.slots * job.hosts.length),
    env.cluster.user,
    env.cluster.sshOptions().join(' '),
    ...job.hosts.map((h) => String(h.port)),
  ];
  const r = await timed('sh', args, { timeoutMs: job.timeoutMs });
  const failed = r.code !== 0 || /failed/.test(r.stderr);
  return collectLocal(job, names, r.wallMs, failed ? `openssh-fanout exited ${r.code}: ${tail(r.stderr)}` : undefined);
};
