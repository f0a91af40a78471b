import { FLOW_MARK_NAME } from '../command/reaper';
import { MARKER_NAME } from './layout';

/**
 * Leftovers of earlier runs under a trusted workdir (issue 14; docs/decisions.md "Run markers"):
 * run directories (`run-*`), partial basefile uploads (`.cache/tea-*.tmp-*`) and the
 * preflight's writability probe directories (`.tea-probe-<pid>`) that a run could not remove
 * (client killed, host lost or hung, Ctrl-C during an upload or a preflight).
 *
 * Dead or live is decided on the host, by the preflight's one exec (host-probe.ts), only
 * after the workdir passed the trust check, and never for anything but the login user's own
 * entries (lstat via `ls -ldn`; `rm -rf` never follows a symlink):
 * - a run directory is live while its marker (run-marker.ts) is younger than the bound the
 *   run that wrote it promised (`dead_after`, its `stale_run_seconds`; the run refreshes it
 *   every fifth of that), or while any process carries its branch mark (TEA_FLOW_MARK, the
 *   reaper's) or has its working directory in it (a branch, the warm runner), both read from
 *   /proc: a long branch or a runner holding the only channel of a MaxSessions 1 host, where
 *   the heartbeat cannot get through. A directory without a marker (made by an older tea, or a
 *   run killed between mkdir and the marker) is judged by its own mtime and the checking
 *   run's `stale_run_seconds`;
 * - a run directory named for another host (`run-<runId>-<other slug>`: hosts sharing an NFS
 *   home) is never looked at: only that host can see its processes;
 * - a marker with `keep=1` (a run with `cleanup: false`) is reported as kept once it ended
 *   (`ended=1`, written by its close) or went silent: only `tea hosts clean` removes it;
 * - a partial upload is dead when not written for `stale_run_seconds` (an upload in progress
 *   writes all the time; a stalled one fails after `sftp_timeout`); so is a probe directory
 *   (a preflight removes its own within a second: one left means its shell was killed).
 * Anything the script cannot date (no stat, no date -r) counts as live.
 */
/** none: not looked at; list; clean: remove dead (a run's start); purge: dead and kept (tea hosts clean); all: live too. */
export type LeftoverMode = 'none' | 'list' | 'clean' | 'purge' | 'all';

export type LeftoverState = 'dead' | 'kept' | 'live' | 'busy';

export interface Leftover {
  /** dead: stale marker, no process; kept: cleanup false; live: fresh marker; busy: stale marker but branch processes run. */
  state: LeftoverState;
  kind: 'run' | 'upload' | 'probe';
  /** Seconds since the marker (or the entry) was last written; -1 when unknown. */
  ageSeconds: number;
  /** Absolute path on the host. */
  path: string;
  /** Who wrote the marker (`host pid N`), '' when unknown. */
  client: string;
  removed: boolean;
}

/**
 * The sweep, a sh function of the probe: `zw MODE SLUG STALE` with `$a` the workdir's
 * absolute path and `$u` the login uid (both set by the trust check). Prints
 * `left=<state> <removed 0|1> <kind> <age> <path>\t<client>` per entry.
 */
export const SWEEP_FUNCTION = [
  'zw() {',
  // zn (now) is read on the first entry only: a workdir without leftovers costs no fork.
  '  set +f; zn=',
  '  for e in "$a"/run-* "$a"/.cache/tea-*.tmp-* "$a"/.tea-probe-*; do',
  '    [ -e "$e" ] || [ -h "$e" ] || continue',
  '    b=${e##*/}; kd=run; [ -n "$zn" ] || zn=$(date +%s)',
  // Another host's run directory (NFS home): only that host can tell whether it is live.
  '    case $b in tea-*) kd=upload;; .tea-probe-*) kd=probe;; run-*-h??????????) case $b in *-"$2") ;; *) continue;; esac;; esac',
  '    m=$(ls -ldn -- "$e" 2>/dev/null | awk \'{print $1 " " $3}\'); k=${m%% *}; x=${m#* }',
  '    [ "$x" = "$u" ] || continue',
  '    case $kd$k in rund*|upload-*|probed*) ;; *) continue;; esac',
  `    f=$e; lim=$3; cl=; kp=; en=`,
  `    if [ $kd = run ] && [ -f "$e/${MARKER_NAME}" ] && [ ! -h "$e/${MARKER_NAME}" ]; then`,
  `      f=$e/${MARKER_NAME}`,
  `      v=$(sed -n 's/^dead_after=\\([0-9][0-9]*\\)$/\\1/p' "$f" | head -n 1); [ -n "$v" ] && lim=$v`,
  `      cl=$(sed -n 's/^client=//p' "$f" | head -n 1 | tr -cd 'A-Za-z0-9._: -')`,
  `      grep -q '^keep=1$' "$f" && kp=1; grep -q '^ended=1$' "$f" && en=1`,
  '    fi',
  '    t=$(stat -c %Y -- "$f" 2>/dev/null || date -r "$f" +%s 2>/dev/null)',
  '    case $t in ""|*[!0-9]*) g=-1;; *) g=$((zn - t));; esac',
  '    s=dead',
  // A cleanup: false run that ended normally: kept from the start, never live.
  '    if [ -n "$kp" ] && [ -n "$en" ]; then s=kept',
  '    elif [ "$g" -lt 0 ] || [ "$g" -le "$lim" ]; then s=live',
  // A stale marker with a branch still running (its only channel busy): live. The search runs without the mark.
  `    elif [ $kd = run ] && [ -r /proc/self/environ ] && (unset ${FLOW_MARK_NAME}; grep -q -s -F -e "${FLOW_MARK_NAME}=$e/" /proc/[0-9]*/environ); then s=busy`,
  // ... or with its working directory in it (a branch, the warm runner); ENVIRON: no escape processing of the path.
  '    elif [ $kd = run ] && ls -l /proc/[0-9]*/cwd 2>/dev/null | D=$e awk \'BEGIN { d = ENVIRON["D"] } { sub(/^.* -> /, ""); if ($0 == d || index($0, d "/") == 1) f = 1 } END { exit !f }\'; then s=busy',
  '    elif [ -n "$kp" ]; then s=kept; fi',
  '    r=0',
  '    case $1:$s in clean:dead|purge:dead|purge:kept|all:*) rm -rf -- "$e" && r=1;; esac',
  `    printf 'left=%s %s %s %s %s\\t%s\\n' "$s" "$r" "$kd" "$g" "$e" "$cl" >&2`,
  '  done',
  '  set -f',
  '}',
  // Indentation dropped: the program line is read byte by byte by the host's `read` (bootstrap.ts).
].map((line) => line.trimStart()).join('\n');

/** The `left=` lines of the probe's output. */
export function parseLeftovers(lines: readonly string[]): Leftover[] {
  return lines.flatMap((line) => {
    const m = /^(dead|kept|live|busy) ([01]) (run|upload|probe) (-?\d+) (\/[^\t]*)\t(.*)$/.exec(line);
    if (m === null) return [];
    return [{ state: m[1] as LeftoverState, removed: m[2] === '1', kind: m[3] as Leftover['kind'], ageSeconds: Number(m[4]), path: m[5]!, client: m[6]!.trim() }];
  });
}

/** One line for logs and `tea hosts check`: what was removed, what is left and why. */
export function describeLeftovers(leftovers: readonly Leftover[]): string | null {
  if (leftovers.length === 0) return null;
  const one = (l: Leftover) => `${l.path} (${what(l)})`;
  const removed = leftovers.filter((l) => l.removed);
  const dead = leftovers.filter((l) => !l.removed && (l.state === 'dead' || l.state === 'kept'));
  const live = leftovers.filter((l) => !l.removed && (l.state === 'live' || l.state === 'busy'));
  const parts: string[] = [];
  if (removed.length > 0) parts.push(`removed ${removed.length} leftover(s): ${removed.map(one).join(', ')}`);
  if (dead.length > 0) parts.push(`${dead.length} leftover(s) of finished or dead runs: ${dead.map(one).join(', ')} (tea hosts clean removes them)`);
  if (live.length > 0) parts.push(`${live.length} live run(s) of other clients or processes, not touched: ${live.map(one).join(', ')}`);
  return parts.join('; ');
}

function what(l: Leftover): string {
  const age = l.ageSeconds < 0 ? 'age unknown' : `last written ${formatAge(l.ageSeconds)} ago`;
  const kind = { run: 'run directory', upload: 'partial basefile upload', probe: 'preflight probe directory' }[l.kind];
  const state = { dead: 'dead', kept: 'kept by cleanup: false', live: 'live', busy: 'live: branch processes still run' }[l.state];
  const client = l.client === '' ? '' : `, client ${l.client}`;
  return `${kind}, ${state}, ${age}${client}`;
}

function formatAge(seconds: number): string {
  if (seconds < 120) return `${seconds}s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)}min`;
  return `${Math.round(seconds / 3600)}h`;
}
