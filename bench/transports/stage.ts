import { chmodSync, copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadWorkflow } from '../../src/workflow/load';
import { branchInput, branchNames, fanoutWorkflow, isGoodResult } from '../lib/workflow';
import { basefileOf, type BenchEnv, type FanoutJob, type FanoutOutcome } from './types';

/**
 * The settings.parallel every transport's workflow.yaml carries (the tea-remote
 * client reads them; the others ship the same text so each host parses the same file).
 */
export function parallelSettings(job: FanoutJob, env: BenchEnv, remoteExtra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    strategy: 'remote',
    collect_failures: true,
    timeout_seconds: Math.ceil(job.timeoutMs / 1000),
    remote: {
      hosts: job.hosts.map((h) => `${job.slots}/${h.sshlogin}`),
      identity_file: env.cluster.keyPath,
      known_hosts: env.cluster.knownHostsPath,
      strict_host_key_checking: 'yes',
      workdir: job.remoteDir,
      cleanup: true,
      basefile: basefileOf(job, env),
      ...remoteExtra,
    },
  };
}

export function workflowText(job: FanoutJob, env: BenchEnv, remoteExtra: Record<string, unknown> = {}): string {
  return fanoutWorkflow(job.branches, job.work, parallelSettings(job, env, remoteExtra));
}

/**
 * What tea-remote (and its GNU Parallel plan) ship to the hosts for that workflow: its branch
 * form (src/workflow/branch-form.ts). The other transports ship the same, like for like.
 */
export function branchText(job: FanoutJob, env: BenchEnv): string {
  return loadWorkflow(workflowText(job, env)).branchText;
}

/**
 * Local staging for the command-line transports (GNU Parallel, OpenSSH): `tea`,
 * workflow.yaml (in branch form, as tea-remote ships it) and one B.in.json per branch in the scratch dir; results come back as B.out.json.
 */
export function stageLocally(job: FanoutJob, env: BenchEnv): string[] {
  const names = branchNames(job.branches);
  copyFileSync(basefileOf(job, env), join(job.scratch, 'tea'));
  chmodSync(join(job.scratch, 'tea'), 0o755);
  writeFileSync(join(job.scratch, 'workflow.yaml'), branchText(job, env));
  const input = JSON.stringify(branchInput(job.work));
  for (const b of names) writeFileSync(join(job.scratch, `${b}.in.json`), input);
  return names;
}

/** Counts the B.out.json files that hold the right result. */
export function collectLocal(job: FanoutJob, names: string[], wallMs: number, error?: string): FanoutOutcome {
  const ok = names.filter((b, i) => {
    let text: string | null = null;
    try {
      text = readFileSync(join(job.scratch, `${b}.out.json`), 'utf8');
    } catch {
      /* lost */
    }
    return isGoodResult(text, i, job.work);
  }).length;
  return { wallMs, ok, lost: names.length - ok, ...(error ? { error } : {}) };
}

/** Paths reach a shell unquoted in the OpenSSH script and GNU Parallel's command: keep them plain. */
export function assertPlain(...paths: string[]): void {
  for (const p of paths) if (!/^[A-Za-z0-9._/@:+-]+$/.test(p)) throw new Error(`bench path has shell metacharacters: ${p}`);
}

export const tail = (text: string, lines = 3): string => text.trim().split('\n').slice(-lines).join(' | ');
