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
 * that clear their environment, hosts without /proc (BSD, macOS), another user's processes.
 */
export const FLOW_MARK_NAME = 'TEA_FLOW_MARK';

/** Exit status of the wrapper when the basefile it should run is not there (a tmp cleaner took it). */
export const BASEFILE_MISSING_STATUS = 86;

/** `[ -f tea ]`, first: a vanished basefile must not read as "no Node" (127). `$1`: the basefile. */
export const BASEFILE_CHECK = `[ -f "$1" ] || { echo "tea: the basefile $1 is missing" >&2; exit ${BASEFILE_MISSING_STATUS}; }`;

/** Exports the mark; defines tea_reap. */
export const REAPER_SETUP = [
  `${FLOW_MARK_NAME}="$PWD/"; export ${FLOW_MARK_NAME}`,
  `tea_reap() { [ -r /proc/self/environ ] || return 0; m="${FLOW_MARK_NAME}=$${FLOW_MARK_NAME}"; for s in TERM KILL; do f=$(unset ${FLOW_MARK_NAME}; grep -l -s -F -e "$m" /proc/[0-9]*/environ); [ -n "$f" ] || return 0; for e in $f; do p=\${e#/proc/}; kill -$s \${p%/environ} 2>/dev/null; done; [ $s = KILL ] || sleep 1; done; }`,
].join('\n');
