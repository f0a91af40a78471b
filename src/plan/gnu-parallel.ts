import { posix } from 'node:path';
import type { ParallelConfig } from '../config/parallel';
import { TeaError } from '../errors';
import { sftpPath } from '../remote/host/layout';
import { quote, shellJoin } from '../remote/command/quote';
import { PLAN_FILES, flowInput, flowOutput, flowResult } from './layout';
import { planHosts, sshArgv, sshCommand, sshLogin, type PlanHost, type SshSettings } from './ssh-login';

/** One branch of the fan-out: run from `entryPoint` up to (not including) `exitPoint`. */
export interface PlanFlow {
  entryPoint: string;
  exitPoint: string;
}

export interface PlanSpec {
  flows: readonly PlanFlow[];
  /** Narrowed to the hosts whose key was accepted (run-plan.ts). */
  hosts: readonly PlanHost[];
  ssh: SshSettings;
  /** Directory the jobs run in on every host (--workdir); relative = under the login directory. Unique per run and fan-out. */
  remoteDir: string;
  timeoutSeconds?: number;
  /** Tries per branch, the first included (GNU Parallel's --retries counts them so). */
  tries: number;
  failFast: boolean;
  cleanup: boolean;
  /** Seconds between TERM and KILL when a job is ended early (timeout, cancel, lost connection). */
  killGraceSeconds: number;
}

export interface ShellCommand {
  /** argv[0] is the program; nothing here is parsed by a local shell. */
  argv: string[];
  /** Environment the command needs on top of the caller's. */
  env: Record<string, string>;
  /** The same as one POSIX shell line, every word quoted: run it from the staging directory. */
  line: string;
}

export interface GnuParallelPlan {
  /** Runs every branch and brings its result back to flows/<i>/result.json. */
  run: ShellCommand;
  /**
   * With cleanup: one plain ssh per host that removes the remote work dir afterwards
   * (what failed or timed-out jobs left). Not `parallel --nonall`: it re-quotes --ssh
   * for an inner parallel and breaks a key path with a space or comma.
   */
  sweep: ShellCommand[];
  remoteDir: string;
  /** The command each job runs on its host, in the remote work dir; {1} {2} {3} are GNU Parallel's (it quotes them). */
  jobCommand: string;
}

/**
 * GNU Parallel runs the composed command with the shell it was started from; fixing
 * it to /bin/sh makes the quoting the same from fish, csh or a process without a shell.
 * The job also runs under this shell on the host.
 */
const ENV = { PARALLEL_SHELL: '/bin/sh' };

/**
 * The GNU Parallel command for one remote fan-out. Pure: the same spec gives the same
 * argv. Every option comes before the command and the input sources after it (the
 * upstream generator put --colsep after the command and passed no --workdir).
 */
export function buildPlan(spec: PlanSpec): GnuParallelPlan {
  checkSpec(spec);
  const remoteDir = spec.remoteDir;
  const logins = spec.hosts.flatMap((h) => ['--sshlogin', sshLogin(h, spec.ssh)]);
  const ssh = ['--ssh', sshCommand(spec.ssh)];
  const argv = [
    'parallel',
    '--null', // input records are NUL-separated: branch names may hold newlines, tabs, quotes
    '--jobs', '100%', // one job per N/ slot of each sshlogin
    ...logins,
    ...ssh,
    '--workdir', remoteDir,
    '--basefile', PLAN_FILES.tea,
    '--basefile', PLAN_FILES.workflow,
    '--transferfile', flowInput('{1}'),
    '--return', flowResult('{1}'),
    ...(spec.cleanup ? ['--cleanup'] : []),
    '--results', flowOutput('{1}'),
    '--joblog', PLAN_FILES.joblog,
    ...(spec.timeoutSeconds === undefined ? [] : ['--timeout', String(spec.timeoutSeconds)]),
    ...(spec.tries > 1 ? ['--retries', String(spec.tries)] : []),
    '--termseq', `TERM,${Math.max(1, Math.ceil(spec.killGraceSeconds)) * 1000},KILL,25`,
    ...(spec.failFast ? ['--halt', 'soon,fail=1'] : []),
    JOB_COMMAND,
    '::::', PLAN_FILES.flowIds,
    '::::+', PLAN_FILES.entryPoints,
    '::::+', PLAN_FILES.exitPoints,
  ];
  const sweep = spec.hosts.map((h) =>
    command([...sshArgv(spec.ssh, h.identityFile ?? spec.ssh.identityFile), '-p', String(h.port), '-l', h.user, '--', h.host, `rm -rf -- ${quote(remoteDir)}`], {}),
  );
  return {
    run: command(argv, ENV),
    sweep: spec.cleanup ? sweep : [],
    remoteDir,
    jobCommand: JOB_COMMAND,
  };
}

/**
 * What each job runs on its host. GNU Parallel has already cd'ed into --workdir, where
 * the basefiles and this branch's input are. `{2}`/`{3}` (entry and exit point) are
 * quoted by GNU Parallel for the remote shell; nothing else here comes from the
 * workflow. umask 077: the result (states can hold secrets) is readable by the login
 * user only, as on the ssh2 path, although GNU Parallel's `mkdir -p` makes the
 * directories with the host's umask. TEA_REMOTE_BRANCH=1 (REMOTE_BRANCH_ENV) makes
 * nested remote fan-outs run in-process on the host, as on the ssh2 path. GNU
 * Parallel's own remote wrapper ends the job when its ssh goes away, so the ssh2
 * path's watchdog is not needed.
 */
const JOB_COMMAND = [
  'umask 077 && env TEA_REMOTE_BRANCH=1',
  `./${PLAN_FILES.tea} run ${PLAN_FILES.workflow}`,
  // --opt=value: a branch named like an option (-x) is still a value.
  '--entry-point={2} --exit-point={3}',
  `--input ${flowInput('{1}')} --output ${flowResult('{1}')}`,
].join(' ');

function command(argv: string[], env: Record<string, string>): ShellCommand {
  const assignments = Object.entries(env).map(([k, v]) => `${k}=${quote(v)}`);
  return { argv, env: { ...env }, line: [...assignments, shellJoin(argv)].join(' ') };
}

function checkSpec(spec: PlanSpec): void {
  if (spec.flows.length === 0) throw new TeaError('E_USAGE', 'a GNU Parallel plan needs at least one branch');
  if (spec.hosts.length === 0) throw new TeaError('E_CONFIG_INVALID', 'settings.parallel.remote.hosts: at least one host is required');
  if (!Number.isInteger(spec.tries) || spec.tries < 1) throw new TeaError('E_USAGE', `tries must be a positive integer (got ${spec.tries})`);
  // GNU Parallel 20221122 quotes --workdir once too few for the `mkdir -p` it runs over ssh
  // before a transfer: "/tmp/a b/w" makes /tmp/a and ~/b/w, then rsync fails. It also
  // expands replacement strings ({1}, {= perl =}) in it. So only words no shell changes.
  if (!/^[A-Za-z0-9_\-+=.,/:@%]+$/.test(spec.remoteDir)) {
    throw new TeaError(
      'E_CONFIG_INVALID',
      `settings.parallel.remote.workdir: ${JSON.stringify(spec.remoteDir)} cannot be GNU Parallel's work dir: it passes the path to a remote shell unquoted, so use only letters, digits and _-+=.,/:@%`,
    );
  }
  for (const flow of spec.flows) {
    for (const name of [flow.entryPoint, flow.exitPoint]) {
      if (name.includes('\0')) throw new TeaError('E_WORKFLOW_INVALID', `node name ${JSON.stringify(name)} contains NUL, which no GNU Parallel input can carry`);
    }
  }
}

/**
 * The remote directory of one fan-out's jobs: `<workdir>/gp-<runId>-<fanout>`, so runs
 * and fan-outs never share files. `~/x` is `x` under the login directory (where GNU
 * Parallel's relative paths start), the same place the ssh2 path uses.
 */
export function remoteDirFor(workdir: string, runId: string, fanout: number): string {
  return posix.normalize(posix.join(sftpPath(workdir), `gp-${runId}-${fanout}`));
}

/** The plan spec for a fan-out under `settings.parallel`, and how it differs from the ssh2 path. */
export function specFromConfig(config: ParallelConfig, flows: readonly PlanFlow[], remoteDir: string): { spec: PlanSpec; notes: string[] } {
  const remote = config.remote;
  if (remote === undefined) {
    throw new TeaError('E_CONFIG_INVALID', 'settings.parallel.remote: required for strategy "remote" (at least `hosts`)');
  }
  const { hosts, ssh } = planHosts(remote);
  const retryAll = config.retry.retry_on_failure;
  const tries = retryAll ? config.retry.max_retries + 1 : 1;
  const notes: string[] = [];
  if (!retryAll && config.retry.max_retries > 0) {
    notes.push(
      'no --retries: GNU Parallel retries every failed job and cannot tell a lost connection from a failed branch; ' +
        'set retry.retry_on_failure to retry both (the ssh2 path retries transport failures only)',
    );
  } else if (tries > 1) {
    notes.push(`--retries ${tries}: every failed job, transport or branch failure, is tried up to ${tries} times on another host`);
  }
  if (config.circuit_breaker.enabled) notes.push('no circuit breaker: GNU Parallel keeps sending jobs to a failing host');
  return {
    spec: {
      flows: flows.map((f) => ({ entryPoint: f.entryPoint, exitPoint: f.exitPoint })),
      hosts,
      ssh,
      remoteDir,
      ...(config.timeout_seconds === undefined ? {} : { timeoutSeconds: config.timeout_seconds }),
      tries,
      failFast: config.fail_fast,
      cleanup: remote.cleanup,
      killGraceSeconds: remote.kill_grace_seconds,
    },
    notes,
  };
}
