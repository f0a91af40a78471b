import { randomBytes } from 'node:crypto';
import { execRequest, type ExecRequest } from './bootstrap';
import { shellJoin } from './quote';
import { BASEFILE_CHECK, BASEFILE_MISSING_STATUS, REAPER_SETUP } from './reaper';

export { BASEFILE_MISSING_STATUS };

/**
 * The POSIX sh wrapper every remote `tea run` runs under (read from the exec channel's
 * stdin by the bootstrap, never parsed by the login shell). One exec per branch does all
 * of it, so a branch costs no other request:
 * - creates the flow directory (0700) and writes the input from stdin: exactly `n` bytes
 *   (dd with count_bytes asks for no more than it still needs, so nothing after the input
 *   is consumed; `dd bs=1` where dd lacks the flag);
 * - transferred variables arrive as exports in the program line: never on disk;
 * - runs tea as the leader of a process group (sshd (OpenSSH) starts the session as one,
 *   detected by `kill -0 -$$`; else setsid; else a plain child), so its whole tree can be
 *   signalled;
 * - a watcher reads what is left of stdin, which gets no more data: when the channel
 *   closes (timeout, cancel, lost connection, client crash) stdin ends and the watcher
 *   sends TERM to the group, then KILL after the grace period. It ignores TERM/INT/HUP:
 *   sshd delivers a channel `signal` to the session's whole group, and the watcher must
 *   survive that to escalate to KILL;
 * - on exit 0 it returns result.json on stdout between per-flow nonce markers with its
 *   length, only when it is a regular file (not a symlink, FIFO or device) of at most
 *   `m` bytes, checked before reading. rc files may print on stdout too: they cannot know
 *   the nonce, and what precedes the marker is ignored;
 * - removes the flow directory when `c` is 1 (no SFTP round trips after the result).
 * Before tea starts, a failure exits 125 with a `tea-wrapper: ` line on stderr (E_STAGING_FAILED).
 * Arguments: <grace> <flow dir> <input bytes> <result bound> <nonce> <cleanup 0|1> <argv...>
 */
export const RUN_SCRIPT = [
  'g=$1 d=$2 n=$3 m=$4 k=$5 c=$6; shift 6',
  'export TEA_REMOTE_BRANCH=1',
  'umask 077',
  // tea runs in its flow directory, as branches always have.
  'mkdir -- "$d" && cd -- "$d" || { echo "tea-wrapper: cannot create the flow directory" >&2; exit 125; }',
  // reaper.ts: the flow's mark (from $PWD) and tea_reap for processes that left the group.
  REAPER_SETUP,
  'if ! dd bs=65536 count="$n" iflag=fullblock,count_bytes of="$d/input.json" 2>/dev/null; then',
  '  [ -s "$d/input.json" ] || dd bs=1 count="$n" of="$d/input.json" 2>/dev/null',
  'fi',
  's=$(wc -c <"$d/input.json" 2>/dev/null) || s=-1',
  'if [ "$((s))" -ne "$n" ]; then echo "tea-wrapper: $((s)) of $n bytes written (disk full?)" >&2; cd /; [ "$c" = 1 ] && rm -rf -- "$d"; exit 125; fi',
  // reaper.ts: exit 86 when the basefile vanished (a tmp cleaner), not 127 ("no Node").
  // The directory goes whatever `cleanup` says: the attempt runs again in it once restaged.
  `${BASEFILE_CHECK.replace(/exit /, 'cd /; rm -rf -- "$d"; exit ')}`,
  'exec 3<&0',
  'if kill -0 -$$ 2>/dev/null; then "$@" </dev/null 3<&- >&2 & p=$!; t=-$$',
  'elif command -v setsid >/dev/null 2>&1; then setsid "$@" </dev/null 3<&- >&2 & p=$!; t=-$p',
  'else "$@" </dev/null 3<&- >&2 & p=$!; t=$p; fi',
  "( trap '' TERM INT HUP; while read -r _; do :; done <&3; kill -TERM $t; i=0; while kill -0 $p && [ $i -lt $g ]; do sleep 1; i=$((i+1)); done; tea_reap; kill -KILL $t ) >/dev/null 2>&1 &",
  'exec 3<&- </dev/null',
  // As group leader, sshd's signal already reached the whole group: only stop waiting.
  `if [ "$t" = "-$$" ]; then trap : TERM INT HUP; else trap 'kill -TERM $t 2>/dev/null || kill -TERM $p 2>/dev/null' TERM INT HUP; fi`,
  'wait $p; rc=$?',
  'while kill -0 $p 2>/dev/null; do wait $p; rc=$?; done',
  // Removed between the check and the exec: the same answer as the check. 2: a `#!` script
  // removed after the kernel read its first line (its interpreter cannot open it: dash, bash).
  `case $rc in 2|126|127) [ -f "$1" ] || rc=${BASEFILE_MISSING_STATUS};; esac`,
  'f=$d/result.json',
  'if [ $rc -eq 0 ]; then',
  "  if [ -h \"$f\" ] || { [ -e \"$f\" ] && [ ! -f \"$f\" ]; }; then printf '\\n@@tea-result-%s invalid\\n' \"$k\"",
  "  elif [ ! -e \"$f\" ]; then printf '\\n@@tea-result-%s missing\\n' \"$k\"",
  '  else',
  '    s=$(stat -c %s -- "$f" 2>/dev/null) || s=$(wc -c <"$f")',
  "    if [ \"$((s))\" -gt \"$m\" ]; then printf '\\n@@tea-result-%s too-large %s\\n' \"$k\" \"$((s))\"",
  "    else printf '\\n@@tea-result-%s %s\\n' \"$k\" \"$((s))\"; head -c \"$((s))\" -- \"$f\"; printf '\\n@@tea-end-%s\\n' \"$k\"; fi",
  '  fi',
  'fi',
  // After the result: escaped processes are looked for once tea is done, off the result's path.
  'tea_reap >/dev/null 2>&1',
  'cd /',
  `{ [ "$c" = 1 ] || [ $rc -eq ${BASEFILE_MISSING_STATUS} ]; } && rm -rf -- "$d"`,
  'exit $rc',
].join('\n');

export interface RunCommandSpec {
  /** Absolute remote path of the tea basefile. */
  tea: string;
  /** Absolute remote path of the full workflow YAML. */
  workflow: string;
  /** Absolute remote directory of this flow attempt (created by the wrapper; holds input.json / result.json). */
  flowDir: string;
  entryPoint: string;
  exitPoint: string;
  /** Seconds between TERM and KILL when the flow is ended early. */
  killGraceSeconds: number;
}

export interface FlowRequestSpec extends RunCommandSpec {
  /** The branch's input state (JSON text), sent on stdin after the program line. */
  input: Buffer;
  /** result.json larger than this is refused on the host, before it is read. */
  maxResultBytes: number;
  /** Remove the flow directory when the branch ends. */
  cleanup: boolean;
  /** Variables for tea's environment (env_vars): sent on stdin, never on disk or a command line. */
  exports?: Readonly<Record<string, string>>;
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

export interface FlowRequest extends ExecRequest {
  /** Per-flow random marker framing the result on stdout. */
  nonce: string;
}

/** The branch's one exec: the fixed bootstrap as command line; program line then the input on stdin. */
export function buildFlowRequest(spec: FlowRequestSpec): FlowRequest {
  const nonce = randomBytes(12).toString('hex');
  const grace = String(Math.max(1, Math.ceil(spec.killGraceSeconds)));
  const args = [grace, spec.flowDir, String(spec.input.length), String(spec.maxResultBytes), nonce, spec.cleanup ? '1' : '0', ...runArgv(spec)];
  return { ...execRequest({ script: RUN_SCRIPT, args, ...(spec.exports === undefined ? {} : { exports: spec.exports }) }, spec.input), nonce };
}

/** What logs and errors show: the scoped run, readable, without the wrapper. */
export function printableRunCommand(spec: RunCommandSpec): string {
  return shellJoin(runArgv(spec));
}
