/**
 * Where a plan's files live, relative to its staging directory (the plan runs with
 * that directory as its current directory) and, for the transferred ones, to the
 * remote work dir (GNU Parallel puts relative --basefile / --transferfile / --return
 * paths under --workdir):
 *
 *   tea, workflow.yaml            --basefile: once per host, beside every job
 *   flows/<i>/input.json          --transferfile: branch i's input state
 *   flows/<i>/result.json         --return: branch i's final state, back to the same path
 *   flows/<i>/out, out.err        --results: the job's stdout / stderr (local only)
 *   args/{flow-ids,entry-points,exit-points}  NUL-separated input sources, one record per branch
 *   joblog.tsv                    --joblog: one line per branch (its last try)
 *   known_hosts                   the host keys accepted and pinned for the run (ssh's only known_hosts)
 *   run.sh                        runs the plan from anywhere
 *
 * Branch i is the i-th flow of the fan-out (0-based), so `{1}` is always a plain number.
 */
export const PLAN_FILES = {
  tea: 'tea',
  workflow: 'workflow.yaml',
  flowIds: 'args/flow-ids',
  entryPoints: 'args/entry-points',
  exitPoints: 'args/exit-points',
  joblog: 'joblog.tsv',
  /** The run's pinned host keys, the only ones GNU Parallel's ssh accepts (host-keys.ts). */
  knownHosts: 'known_hosts',
  script: 'run.sh',
} as const;

export const flowInput = (i: number | string) => `flows/${i}/input.json`;
export const flowResult = (i: number | string) => `flows/${i}/result.json`;
/** `--results` prefix: GNU Parallel writes <prefix> (stdout), <prefix>.err and <prefix>.seq. */
export const flowOutput = (i: number | string) => `flows/${i}/out`;
