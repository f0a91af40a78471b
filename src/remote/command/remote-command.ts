import { quote, shellJoin } from './quote';
import { BASEFILE_CHECK, REAPER_SETUP } from './reaper';

export { BASEFILE_MISSING_STATUS } from './reaper';

/**
 * The POSIX sh wrapper every remote `tea run` runs under, so that no remote
 * process outlives its flow. Arguments: `<grace seconds> <env file or ''> <argv...>`.
 * - with an env file (`NAME='value'` lines, written 0600 over SFTP) it is sourced with
 *   `set -a` and removed first: values never appear on a command line;
 * - the command runs as the leader of a process group, so its whole tree can be signalled;
 * - a watcher reads the SSH channel's stdin, which never gets data: when the channel
 *   closes (timeout, cancel, lost connection, client crash) stdin ends and the watcher
 *   sends TERM to the group, then KILL after the grace period. It ignores TERM/INT/HUP:
 *   sshd delivers a channel `signal` request to the session's whole process group, and
 *   the watcher must survive that to escalate to KILL (ignored signals stay ignored
 *   across exec, so it sets that in its own subshell only).
 *
 * Two ways to get the group, both exiting with the command's status:
 * - sshd (OpenSSH) starts each session's command as a session and group leader, which
 *   `kill -0 -$$` (a builtin) detects: then tea replaces this shell (exec), and the
 *   session's group is exactly tea's tree plus the watcher. No process is added on the
 *   branch's path; the watcher ends itself with the group once the channel closes.
 * - otherwise the command starts under `setsid` (when present) and this shell waits for
 *   it, forwards TERM/INT/HUP to it, and stops the watcher when it ends.
 */
export const WATCHDOG_SCRIPT = [
  // Transferred variables (env_vars export_file): sourced, exported, and the file deleted before anything runs.
  // Checked in a subshell first: sh exits at once when `.` fails, which would leave the file behind.
  // "$2", not a variable: sourcing the user's names could overwrite one.
  'if [ -n "$2" ]; then if (. "$2") >/dev/null 2>&1; then set -a; . "$2"; set +a; rm -f "$2"; else rm -f "$2"; echo "tea: cannot read the environment file $2" >&2; exit 125; fi; fi',
  'g=$1; shift 2',
  // reaper.ts: exit 86 when the basefile vanished; the mark and tea_reap for escaped processes.
  BASEFILE_CHECK,
  REAPER_SETUP,
  'export TEA_REMOTE_BRANCH=1',
  'exec 3<&0',
  'if kill -0 -$$ 2>/dev/null; then',
  "  ( trap '' TERM INT HUP; while read -r _; do :; done <&3; kill -TERM -$$; i=0; while kill -0 $$ && [ $i -lt $g ]; do sleep 1; i=$((i+1)); done; tea_reap; kill -KILL -$$ ) >/dev/null 2>&1 &",
  '  exec "$@" </dev/null 3<&-',
  'fi',
  'if command -v setsid >/dev/null 2>&1; then setsid "$@" </dev/null & p=$!; t="-$p"; else "$@" </dev/null & p=$!; t=$p; fi',
  'sig() { kill "-$1" "$t" 2>/dev/null || kill "-$1" "$p" 2>/dev/null; }',
  "( trap '' TERM INT HUP; while read -r _; do :; done <&3; sig TERM; i=0; while sig 0 && [ $i -lt $g ]; do sleep 1; i=$((i+1)); done; sig KILL ) >/dev/null 2>&1 &",
  'w=$!',
  'exec 3<&-',
  "trap 'sig TERM' TERM INT HUP",
  'wait $p; rc=$?',
  'while kill -0 $p 2>/dev/null; do wait $p; rc=$?; done',
  'kill $w 2>/dev/null',
  'tea_reap >/dev/null 2>&1',
  'exit $rc',
].join('\n');

export interface RunCommandSpec {
  /** Absolute remote path of the tea basefile. */
  tea: string;
  /** Absolute remote path of the full workflow YAML. */
  workflow: string;
  /** Absolute remote directory of this flow attempt (holds input.json / result.json). */
  flowDir: string;
  entryPoint: string;
  exitPoint: string;
  /** Seconds between TERM and KILL when the flow is ended early. */
  killGraceSeconds: number;
  /** Absolute remote path of an env_vars export file the wrapper sources and deletes before the run. */
  envFile?: string;
}

/** The argv of the scoped run, before quoting. */
export function runArgv(spec: RunCommandSpec): string[] {
  return [
    spec.tea,
    'run',
    spec.workflow,
    // `--opt=value`: a node named "-x" or "--help" stays a value (parseArgs refuses "--opt -x").
    `--entry-point=${spec.entryPoint}`,
    `--exit-point=${spec.exitPoint}`,
    `--input=${spec.flowDir}/input.json`,
    `--output=${spec.flowDir}/result.json`,
  ];
}

/**
 * The one command line sent over the exec channel: `cd <flowDir> && exec sh -c <watchdog>
 * tea-run <grace> <env file or ''> <argv...>`, every argument quoted. The login shell parses
 * it once; after that nothing from the workflow is ever parsed as shell.
 */
export function buildRunCommand(spec: RunCommandSpec): string {
  const grace = String(Math.max(1, Math.ceil(spec.killGraceSeconds)));
  return `cd ${quote(spec.flowDir)} && exec sh -c ${quote(WATCHDOG_SCRIPT)} tea-run ${grace} ${quote(spec.envFile ?? '')} ${shellJoin(runArgv(spec))}`;
}

/** What logs and errors show: the scoped run, readable, without the watchdog. */
export function printableRunCommand(spec: RunCommandSpec): string {
  return shellJoin(runArgv(spec));
}
