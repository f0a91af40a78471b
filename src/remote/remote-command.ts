import { quote, shellJoin } from './quote';

/**
 * The POSIX sh wrapper every remote `tea run` runs under, so that no remote
 * process outlives its flow:
 * - the command runs in its own session (setsid, when present) so the whole
 *   process tree can be signalled as a group;
 * - a watcher reads the SSH channel's stdin, which never gets data: when the
 *   channel closes (timeout, cancel, lost connection, client crash) stdin ends and
 *   the watcher sends TERM, then KILL after the grace period;
 * - a TERM/INT/HUP sent to the wrapper (ssh `signal` request) is forwarded; the
 *   watcher ignores them, so it still escalates to KILL;
 * - with TEA_ENV_FILE set, that file (`NAME='value'` lines, written 0600 over SFTP)
 *   is sourced with `set -a` and removed first: values never appear on a command line.
 * The wrapper exits with the command's exit status.
 */
export const WATCHDOG_SCRIPT = [
  // Transferred variables (env_vars export_file): sourced, exported, and the file deleted before anything runs.
  // Checked in a subshell first: sh exits at once when `.` fails, which would leave the file behind.
  'if [ -n "${TEA_ENV_FILE:-}" ]; then f=$TEA_ENV_FILE; unset TEA_ENV_FILE; if (. "$f") >/dev/null 2>&1; then set -a; . "$f"; set +a; rm -f "$f"; else rm -f "$f"; echo "tea: cannot read the environment file $f" >&2; exit 125; fi; fi',
  'g=$1; shift',
  'exec 3<&0',
  'if command -v setsid >/dev/null 2>&1; then setsid "$@" </dev/null & p=$!; t="-$p"; else "$@" </dev/null & p=$!; t=$p; fi',
  'sig() { kill "-$1" "$t" 2>/dev/null || kill "-$1" "$p" 2>/dev/null; }',
  // sshd delivers a channel signal to the whole session process group: the watcher
  // must survive it to escalate to KILL (ignored signals stay ignored across exec).
  "( trap '' TERM INT HUP; cat <&3 >/dev/null; sig TERM; i=0; while sig 0 && [ $i -lt $g ]; do sleep 1; i=$((i+1)); done; sig KILL ) >/dev/null 2>&1 &",
  'w=$!',
  'exec 3<&-',
  "trap 'sig TERM' TERM INT HUP",
  'wait $p; rc=$?',
  'while kill -0 $p 2>/dev/null; do wait $p; rc=$?; done',
  'kill $w 2>/dev/null',
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
 * The one command line sent over the exec channel: `cd <flowDir> && exec env
 * TEA_REMOTE_BRANCH=1 sh -c <watchdog> tea-run <grace> <argv...>`, every argument quoted. The login shell
 * parses it once; after that nothing from the workflow is ever parsed as shell.
 */
export function buildRunCommand(spec: RunCommandSpec): string {
  const grace = String(Math.max(1, Math.ceil(spec.killGraceSeconds)));
  // `env` rather than VAR=x: the login shell may not be a POSIX shell (csh, fish).
  const envFile = spec.envFile === undefined ? '' : ` ${quote(`TEA_ENV_FILE=${spec.envFile}`)}`;
  return `cd ${quote(spec.flowDir)} && exec env TEA_REMOTE_BRANCH=1${envFile} sh -c ${quote(WATCHDOG_SCRIPT)} tea-run ${grace} ${shellJoin(runArgv(spec))}`;
}

/** What logs and errors show: the scoped run, readable, without the watchdog. */
export function printableRunCommand(spec: RunCommandSpec): string {
  return shellJoin(runArgv(spec));
}
