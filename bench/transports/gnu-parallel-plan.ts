/**
 * The GNU Parallel command for one fan-out, as the plan generator (src/plan/, issue
 * #6) is specified to write it (field-notes: "GNU Parallel as the remote peer"):
 * `N/` slots per --sshlogin with the ssh command carrying port, key and known_hosts,
 * --basefile for the tea binary and the YAML, --transferfile / --return per branch,
 * --cleanup, and an explicit --workdir (relative basefiles are refused with `--wd ...`,
 * so an absolute directory: files land at WORKDIR/<relative path>).
 * Until that generator lands on main the bench builds the same argv here.
 */
export interface PlanInput {
  /** `ssh ...options` shared by every host. */
  sshCommand: string[];
  /** Per host: slots, user, port. */
  hosts: Array<{ slots: number; user: string; port: number }>;
  workdir: string;
  branches: string[];
  exitPoint: string;
  joblog: string;
}

export function gnuParallelArgv(plan: PlanInput): string[] {
  const ssh = plan.sshCommand.join(' ');
  return [
    '--will-cite',
    ...plan.hosts.flatMap((h) => ['--sshlogin', `${h.slots}/${ssh} -p ${h.port} ${h.user}@127.0.0.1`]),
    '--workdir', plan.workdir,
    '--basefile', 'tea',
    '--basefile', 'workflow.yaml',
    '--transferfile', '{}.in.json',
    '--return', '{}.out.json',
    '--cleanup',
    '--joblog', plan.joblog,
    `./tea run workflow.yaml --entry-point {} --exit-point ${plan.exitPoint} --input {}.in.json --output {}.out.json`,
    ':::',
    ...plan.branches,
  ];
}
