import { randomBytes } from 'node:crypto';
import { execRequest, type ExecRequest } from './bootstrap';
import { shellJoin } from './quote';
import { BASEFILE_CHECK, BASEFILE_MISSING_STATUS, REAPER_SETUP } from './reaper';

export { BASEFILE_MISSING_STATUS };

/**
 * The POSIX sh wrapper every remote `tea run` runs under (read from the exec channel's
 * stdin by the bootstrap, never parsed by the login shell). One exec per branch does all
 * of it, so a branch costs no other request. It is host CPU on every branch, so it forks
 * only where no builtin can do the work (mkdir, head, rm; dd for a large input), and it is
 * one line (no `$nl` subshell in the program line, see bootstrap.ts):
 * - creates the flow directory (0700) and writes the input: a small one (INLINE_INPUT_MAX)
 *   travels in the program line and `printf` (a builtin) writes it; a larger one follows
 *   the line on stdin and dd takes exactly `n` bytes (count_bytes asks for no more than it
 *   still needs, so nothing after the input is consumed; `dd bs=1` where dd lacks the
 *   flag), its count read from dd's own report (`wc -c` only where dd prints none);
 * - transferred variables arrive as exports in the program line: never on disk;
 * - runs tea as the leader of a process group (sshd (OpenSSH) starts the session as one,
 *   detected by `kill -0 -$$`; else setsid; else a plain child), so its whole tree can be
 *   signalled;
 * - a watcher reads what is left of stdin, which gets no more data: when the channel
 *   closes (timeout, cancel, lost connection, client crash) stdin ends and the watcher
 *   sends TERM to the group, then KILL after the grace period. It ignores TERM/INT/HUP:
 *   sshd delivers a channel `signal` to the session's whole group, and the watcher must
 *   survive that to escalate to KILL. It scans for escaped processes (reaper.ts) only when
 *   the wrapper is still running then; a finished wrapper has decided that already;
 * - on exit 0 it returns result.json on stdout between per-flow nonce markers, only when
 *   it is a regular file (not a symlink, FIFO or device), and at most `m`+1 bytes of it
 *   (`head -c`: the client refuses more than `m`). rc files may print on stdout too: they
 *   cannot know the nonce, and what precedes the marker is ignored;
 * - looks for escaped processes when the branch may have left one (reaper.ts: tea_left);
 * - removes the flow directory when `c` is 1 (no SFTP round trips after the result).
 * Before tea starts, a failure exits 125 with a `tea-wrapper: ` line on stderr (E_STAGING_FAILED).
 * Arguments: <grace> <flow dir> <input bytes> <result bound> <nonce> <cleanup 0|1> <inline input> <argv...>
 * (`n` is -1 when the input is inline in the 7th argument).
 */
export const RUN_SCRIPT = [
  'g=$1 d=$2 n=$3 m=$4 k=$5 c=$6 x=$7; shift 7;',
  'export TEA_REMOTE_BRANCH=1;',
  'umask 077;',
  // tea runs in its flow directory, as branches always have.
  'mkdir -- "$d" && cd -- "$d" || { echo "tea-wrapper: cannot create the flow directory" >&2; exit 125; };',
  // reaper.ts: the flow's mark (from $PWD) and tea_reap for processes that left the group.
  REAPER_SETUP,
  'if [ "$n" = -1 ]; then',
  '  { printf %s "$x" >"$d/input.json" && [ -s "$d/input.json" ]; } || { echo "tea-wrapper: cannot write input.json (disk full?)" >&2; cd /; rm -rf -- "$d"; exit 125; };',
  'else',
  '  s=$(LC_ALL=C dd bs=65536 count="$n" iflag=fullblock,count_bytes of="$d/input.json" 2>&1) || { [ -s "$d/input.json" ] || s=$(LC_ALL=C dd bs=1 count="$n" of="$d/input.json" 2>&1); };',
  // GNU dd reports "<n> bytes ... copied"; BusyBox dd prints records only: count with wc.
  '  case " $s" in *[!0-9]"$n bytes"*) s=$n;; *) s=$(wc -c <"$d/input.json" 2>/dev/null) || s=-1;; esac;',
  '  if [ "$((s))" -ne "$n" ]; then echo "tea-wrapper: $((s)) of $n bytes written (disk full?)" >&2; cd /; rm -rf -- "$d"; exit 125; fi;',
  'fi;',
  'x=;',
  // reaper.ts: exit 86 when the basefile vanished (a tmp cleaner), not 127 ("no Node").
  // The directory goes whatever `cleanup` says: the attempt runs again in it once restaged.
  `${BASEFILE_CHECK.replace(/exit /, 'cd /; rm -rf -- "$d"; exit ')};`,
  // reaper.ts: where the pid counter and the clock stand before tea starts.
  'tea_since;',
  'exec 3<&0;',
  'if kill -0 -$$ 2>/dev/null; then "$@" </dev/null 3<&- >&2 & p=$!; t=-$$;',
  'elif command -v setsid >/dev/null 2>&1; then setsid "$@" </dev/null 3<&- >&2 & p=$!; t=-$p;',
  'else "$@" </dev/null 3<&- >&2 & p=$!; t=$p; fi;',
  // `kill -0 $$`: the wrapper has not finished, so it has not looked for escaped processes yet.
  "( trap '' TERM INT HUP; while read -r _; do :; done <&3; kill -TERM $t; i=0; while kill -0 $p && [ $i -lt $g ]; do sleep 1; i=$((i+1)); done; kill -0 $$ && tea_reap; kill -KILL $t ) >/dev/null 2>&1 & w=$!;",
  'exec 3<&- </dev/null;',
  // As group leader, sshd's signal already reached the whole group: only stop waiting.
  `if [ "$t" = "-$$" ]; then trap : TERM INT HUP; else trap 'kill -TERM $t 2>/dev/null || kill -TERM $p 2>/dev/null' TERM INT HUP; fi;`,
  'wait $p; rc=$?;',
  'while kill -0 $p 2>/dev/null; do wait $p; rc=$?; done;',
  // Removed between the check and the exec: the same answer as the check. 2: a `#!` script
  // removed after the kernel read its first line (its interpreter cannot open it: dash, bash).
  `case $rc in 2|126|127) [ -f "$1" ] || rc=${BASEFILE_MISSING_STATUS};; esac;`,
  'f=$d/result.json;',
  'if [ $rc -eq 0 ]; then',
  "  if [ -h \"$f\" ] || { [ -e \"$f\" ] && [ ! -f \"$f\" ]; }; then printf '\\n@@tea-result-%s invalid\\n' \"$k\";",
  "  elif [ ! -e \"$f\" ]; then printf '\\n@@tea-result-%s missing\\n' \"$k\";",
  "  else printf '\\n@@tea-result-%s stream\\n' \"$k\"; head -c \"$((m+1))\" -- \"$f\"; printf '\\n@@tea-end-%s\\n' \"$k\"; fi;",
  'fi;',
  // After the result: escaped processes are looked for once tea is done, off the result's path.
  'tea_left $p && tea_reap >/dev/null 2>&1;',
  'cd /;',
  `{ [ "$c" = 1 ] || [ $rc -eq ${BASEFILE_MISSING_STATUS} ]; } && rm -rf -- "$d";`,
  'exit $rc',
].join(' ');

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

/**
 * Inputs up to this size ride in the program line (written with printf, no dd fork). The
 * bootstrap's `read` takes the line one byte at a time (it must not read past it), about
 * 1 µs a byte: beyond a few KiB, dd's fork costs less.
 */
export const INLINE_INPUT_MAX = 2048;

/** The input as text that can ride in the program line, or null when it must follow on stdin. */
function inlineInput(input: Buffer): string | null {
  if (input.length === 0 || input.length > INLINE_INPUT_MAX || input.includes(0)) return null;
  const text = input.toString('utf8');
  return Buffer.byteLength(text) === input.length && Buffer.from(text, 'utf8').equals(input) ? text : null;
}

/** The branch's one exec: the fixed bootstrap as command line; program line then (a large) input on stdin. */
export function buildFlowRequest(spec: FlowRequestSpec): FlowRequest {
  const nonce = randomBytes(12).toString('hex');
  const grace = String(Math.max(1, Math.ceil(spec.killGraceSeconds)));
  const inline = inlineInput(spec.input);
  const size = inline === null ? String(spec.input.length) : '-1';
  const args = [grace, spec.flowDir, size, String(spec.maxResultBytes), nonce, spec.cleanup ? '1' : '0', inline ?? '', ...runArgv(spec)];
  const program = { script: RUN_SCRIPT, args, ...(spec.exports === undefined ? {} : { exports: spec.exports }) };
  return { ...execRequest(program, inline === null ? spec.input : undefined), nonce };
}

/** What logs and errors show: the scoped run, readable, without the wrapper. */
export function printableRunCommand(spec: RunCommandSpec): string {
  return shellJoin(runArgv(spec));
}
