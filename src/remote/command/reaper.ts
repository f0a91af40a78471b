/**
 * Pieces of the remote wrapper (remote-command.ts) kept apart so the wrapper's owner can
 * move them as a whole.
 *
 * Escaped processes: a branch may start processes that leave its process group
 * (`setsid nohup sleep 1000 &`), which the group kill cannot reach. Every process the branch
 * starts inherits TEA_FLOW_MARK=<its attempt directory>/ (unique per attempt; directories are
 * siblings, so no mark is a prefix of another). When the branch ends, `tea_reap` finds the
 * login user's processes whose environment holds the mark (/proc/<pid>/environ, one grep
 * over all of them) and sends TERM, then KILL a second later. The shells doing the search
 * never carry the mark: /proc/<pid>/environ shows the environment a process was started
 * with, and the grep runs with the mark unset. Not caught (docs/remote-layout.md): processes
 * that clear their environment, hosts without /proc (BSD, macOS), another user's processes,
 * and one caught in the middle of an execve by the scan (its environ reads as empty then; seen
 * with a process that escaped as the branch ended, through four execs in a row).
 * A mark with a control character is never searched for: a newline would split grep -F's
 * pattern in two, each line matching other processes (a `.../x\n!!/` mark killed every process
 * whose environment holds `!!/`). The config refuses such a workdir; this guards the rest
 * (a login directory's path).
 */
export const FLOW_MARK_NAME = 'TEA_FLOW_MARK';

/** Exit status of the wrapper when the basefile it should run is not there (a tmp cleaner took it). */
export const BASEFILE_MISSING_STATUS = 86;

/** `[ -f tea ]`, first: a vanished basefile must not read as "no Node" (127). `$1`: the basefile. */
export const BASEFILE_CHECK = `[ -f "$1" ] || { echo "tea: the basefile $1 is missing" >&2; exit ${BASEFILE_MISSING_STATUS}; }`;

/**
 * Exports the mark; defines tea_reap, and tea_since / tea_left, which tell without a fork
 * which processes the branch may have left, so the search (a grep over every process's
 * environment: the largest host CPU cost of a branch) looks only at those, or does not run.
 * Linux hands out pids in increasing order (cyclic, pid_max): every process the branch
 * started got a pid between tea's and the last one allocated when tea is done
 * (/proc/loadavg's 5th field). tea_left collects the live pids of that window (not the
 * wrapper's watcher `$w`) into `v`: none, no search; some (other branches' processes too),
 * grep only their environ. Whatever it cannot tell searches every process (`v` empty): a
 * window too wide to walk cheaply (> 512 pids), the counter having wrapped, a branch of
 * 10 s or more (a full wrap of the counter past tea's pid would need pid_max forks within
 * that time), no /proc/loadavg or /proc/uptime. The watcher (forked before) always searches all.
 */
export const REAPER_SETUP = [
  `${FLOW_MARK_NAME}="$PWD/"; export ${FLOW_MARK_NAME};`,
  `tea_reap() { [ -r /proc/self/environ ] || return 0; m="${FLOW_MARK_NAME}=$${FLOW_MARK_NAME}"; case $m in *[[:cntrl:]]*) return 0;; esac; for s in TERM KILL; do f=$(unset ${FLOW_MARK_NAME}; grep -l -s -F -e "$m" ${'$'}{v:-/proc/[0-9]*/environ}); [ -n "$f" ] || return 0; for e in $f; do p=\${e#/proc/}; kill -$s \${p%/environ} 2>/dev/null; done; [ $s = KILL ] || sleep 1; done; };`,
  'tea_now() { { read -r _ _ _ _ q </proc/loadavg && read -r u _ </proc/uptime; } 2>/dev/null && u=${u%.*}${u#*.} && [ "$q" -gt 0 ] 2>/dev/null && [ "$u" -ge 0 ] 2>/dev/null; };',
  'tea_since() { if tea_now; then q0=$q u0=$u; else q0=; fi; };',
  'tea_left() { v=; [ -r /proc/self/environ ] || return 1; [ -n "$q0" ] && tea_now || return 0; [ $((u - u0)) -lt 1000 ] && [ "$q" -ge "$1" ] && [ $((q - $1)) -le 512 ] || return 0; i=$1; while [ $i -lt $q ]; do i=$((i+1)); [ $i != "$w" ] && [ -e /proc/$i ] && v="$v /proc/$i/environ"; done; [ -n "$v" ]; };',
].join(' ');
