import { execRequest, type ExecRequest } from '../command/bootstrap';
import { parseLeftovers, SWEEP_FUNCTION, type Leftover, type LeftoverMode } from './leftovers';
import { MARKER_NAME } from './layout';

/**
 * The facts a preflight needs, gathered by ONE exec on the host's connection: a POSIX
 * sh script that prints `key=value` lines between markers on stderr (stdout is drained
 * unread: rc files may print to it; the markers skip whatever they print on stderr).
 *
 * Trust first (docs/security.md): every existing component of the workdir, from the login
 * directory (relative workdir) or `/` (absolute) down, then `.cache`, is looked at with
 * `ls -ldn` (never follows the operand: a symlink is seen as one) and judged as OpenSSH's
 * StrictModes does. Only when all pass does the script write anything (its write test,
 * removed at once) or run anything from the workdir: a cached basefile is hashed, and run
 * with `--version` only when its sha256 is the expected one. The client words the verdict
 * (workdir-trust.ts) from the `trust_bad` lines.
 *
 * With `stage` (a run, not `tea hosts check`) and a workdir that exists (any run after the
 * first), the same exec also does the staging's directory work, which would otherwise cost a
 * round trip per SFTP request (issue 21): `.cache` and the run directory are made 0700 with
 * `mkdir` (atomic: what it made is ours; one that appeared meanwhile is judged like the
 * others), and the workflow, which follows the program line on stdin, is written into the run
 * directory. Nothing is made when a component failed the check.
 */
export const PROBE_SCRIPT = [
  // rd: the run directory's name to make and write the workflow into, or - (look only);
  // mt: the run marker's text (run-marker.ts); zm zs zt: the leftover sweep (leftovers.ts).
  'set -f; w=$1; n=$2; rd=$3; mt=$4; zm=$5; zs=$6; zt=$7; shift 7',
  "o() { printf '%s=%s\\n' \"$1\" \"$2\" >&2; }",
  "printf '\\n@@tea-probe-begin\\n' >&2",
  // sshd sets SHELL to the login shell, which ran the bootstrap to get here.
  'o shell "${SHELL-}"',
  'u=$(id -u); o uid "$u"; o user "$(id -un 2>/dev/null)"',
  'o uname "$(uname -sm 2>/dev/null)"',
  'if p=$(command -v node 2>/dev/null); then o node_path "$p"; o node_version "$(node --version 2>/dev/null </dev/null)"; fi',
  // ck PATH ROLE: ROLE "anc" (above the workdir) may be a root-owned sticky directory such as /tmp.
  'ok=yes',
  'ck() {',
  '  m=$(ls -ldn -- "$1" 2>/dev/null | awk \'{print $1 " " $3}\'); q=$(ls -ld -- "$1" 2>/dev/null | awk \'{print $3}\')',
  '  k=${m%% *}; x=${m#* }; b=',
  '  case $k in d*) ;; *) b=1;; esac',
  '  [ "$x" = "$u" ] || [ "$x" = 0 ] || b=1',
  '  case $k in ?????w*|????????w*) if [ "$2" != anc ] || [ "$x" != 0 ]; then b=1; else case $k in ?????????[tT]*) ;; *) b=1;; esac; fi;; esac',
  '  if [ -n "$b" ]; then ok=no; o trust_bad "$2 $k $x $q $1"; fi',
  '}',
  'case $w in /*) a=; r=${w#/}; ck / anc;; *) a=$(pwd -P); r=${w#./}; o home "$a"; ck "$a" home;; esac',
  // mk PATH ROLE: makes PATH 0700 (staging only, while all is trusted), else judges what is there.
  // Only inside an existing workdir: a first run's workdir is made by the staging, after the
  // client has judged the host (a host found unusable keeps no trace of the run).
  'mk() { if [ "$rd" != - ] && [ "$ok" = yes ] && mkdir -m 700 -- "$1" 2>/dev/null; then o made "$1"; elif [ -e "$1" ] || [ -h "$1" ]; then ck "$1" "$2"; else return 1; fi; }',
  'while [ -n "$r" ]; do',
  '  c=${r%%/*}; case $r in */*) r=${r#*/};; *) r=;; esac',
  '  case $c in ""|.) continue;; esac',
  '  a=${a%/}/$c; [ -e "$a" ] || [ -h "$a" ] || break',
  '  if [ -n "$r" ]; then ck "$a" anc; else ck "$a" workdir; [ -e "$a/.cache" ] || [ -h "$a/.cache" ] && ck "$a/.cache" cache; fi',
  'done',
  'o trust "$ok"',
  // workdir may not exist yet: measure and test the nearest directory that does.
  'd=$w; while [ ! -d "$d" ]; do d=$(dirname "$d"); done',
  'o dir "$d"',
  'o free_kib "$(df -Pk "$d" 2>/dev/null | awk \'NR==2 {print $4}\')"',
  't="$d/.tea-probe-$$"',
  'writable=no',
  'if [ "$ok" != yes ]; then :; elif mkdir "$t" 2>/dev/null; then o writable yes; writable=yes;',
  "  printf '#!/bin/sh\\nexit 0\\n' >\"$t/x\" 2>/dev/null && chmod 700 \"$t/x\" && \"$t/x\" 2>/dev/null </dev/null && o executable yes || o executable no;",
  '  rm -rf "$t";',
  'else o writable no; fi',
  'i=0',
  'while [ "$i" -lt "$n" ]; do',
  '  c=$1; h=$2; shift 2',
  '  if [ "$ok" = yes ] && [ -f "$c" ] && [ ! -h "$c" ]; then',
  '    o "cached_${i}_size" "$(wc -c <"$c" | tr -d \' \')"',
  '    m=$(ls -ldn -- "$c" | awk \'{print $1 " " $3}\'); k=${m%% *}; x=${m#* }',
  '    case $k in ?????w*|????????w*) x=;; esac',
  '    if [ "$x" = "$u" ]; then',
  '      s=$( (sha256sum "$c" || shasum -a 256 "$c" || openssl dgst -sha256 -r "$c") 2>/dev/null | awk \'{print $1; exit}\')',
  '      o "cached_${i}_sha256" "$s"',
  '      if [ "$s" = "$h" ]; then',
  '        v=$("$c" --version 2>&1 </dev/null); r=$?',
  '        o "cached_${i}_rc" "$r"; o "cached_${i}_version" "$(printf \'%s\\n\' "$v" | head -n 1)"',
  // Its V8 code caches (code-cache-ship.ts): the staging ships one only when it is missing.
  '        set +f; for f in "$c".*.v8cache; do [ -f "$f" ] && o "cached_${i}_cc" "${f#"$c"}"; done; set -f',
  '      fi',
  '    else o "cached_${i}_foreign" "$m"; fi',
  '  fi',
  '  i=$((i+1))',
  'done',
  // Only names are printed, never values; names are checked against [A-Za-z_][A-Za-z0-9_]*.
  'for e; do if env | grep "^$e=" >/dev/null; then o env_set "$e"; else o env_unset "$e"; fi; done',
  // leftovers.ts: dead runs' directories and partial uploads, only in a trusted, existing workdir
  // ($a), before this run's own directory exists.
  SWEEP_FUNCTION,
  'if [ "$ok" = yes ] && [ "$zm" != none ] && [ -d "$a" ] && [ ! -h "$a" ] && [ "$d" = "$w" ]; then zw "$zm" "$zs" "$zt"; fi',
  // Staging: .cache and the run directory, then the workflow from the rest of stdin and the run marker.
  'if [ "$rd" != - ] && [ "$ok" = yes ] && [ "$writable" = yes ] && [ "$d" = "$w" ]; then',
  '  umask 077; { [ -d "$w/.cache" ] && [ ! -h "$w/.cache" ]; } || mk "$w/.cache" cache',
  `  [ "$ok" = yes ] && mk "$w/$rd" run && [ "$ok" = yes ] && cat > "$w/$rd/workflow.yaml" && printf '%s' "$mt" > "$w/$rd/${MARKER_NAME}" && o root "$(cd -P -- "$w" && pwd -P)"`,
  'fi',
  "printf '@@tea-probe-end\\n' >&2",
].join('\n');

export interface ProbeRequest {
  /** The workdir as the login directory sees it (relative paths are under it). */
  workdir: string;
  /** Cached basefiles to look at (path and expected sha256): size, hash, and whether `--version` runs. */
  cached: readonly { path: string; sha256: string }[];
  /** Env var names whose arrival (sshd AcceptEnv) is tested; sent by the caller with the exec. */
  env: readonly string[];
  /** Stage too: make the workdir, `.cache` and this run directory (a name in the workdir), and write the workflow and the run marker there. */
  stage?: { runDirName: string; workflow: string; marker: string };
  /** Leftovers of earlier runs (leftovers.ts): not looked at (default), listed, or removed. */
  leftovers?: { mode: LeftoverMode; hostSlug: string; staleSeconds: number };
}

export interface CachedFact {
  size: number;
  /** Its sha256 as the host computed it; '' when the host has no sha256sum, shasum or openssl. */
  sha256: string;
  /** Not the login user's, or writable by group or others: mode and owner uid (never hashed nor run). */
  foreign?: string;
  /** Exit status of `<cached> --version`; only run when the hash is the expected one. */
  rc?: number;
  /** First line it printed. */
  version?: string;
  /** Suffixes of the V8 code caches beside it (`.<hash>-<node>-<arch>.v8cache`); only for a verified copy. */
  codeCaches?: string[];
}

/** One path component that failed the trust check, as `ls -ldn` showed it. */
export interface TrustFinding {
  role: 'anc' | 'home' | 'workdir' | 'cache' | 'run';
  /** `ls -l` mode string, e.g. `drwxrwxrwx`, `lrwxrwxrwx`. */
  mode: string;
  uid: number;
  owner: string;
  path: string;
}

export interface HostFacts {
  /** The login shell (sshd's SHELL), '' when unknown. */
  shell: string;
  /** The login user's uid and name on the host. */
  uid: number;
  user: string;
  /** The login directory (physical path), when the workdir is relative. */
  home: string | null;
  /** Workdir components that failed the trust check; empty: all trusted (nothing written or run otherwise). */
  untrusted: TrustFinding[];
  os: string;
  machine: string;
  node: { path: string; version: string; major: number } | null;
  /** The directory measured and write-tested: workdir, or its nearest existing ancestor. */
  dir: string;
  freeBytes: number | null;
  writable: boolean;
  /** A file written there can be executed (false on a noexec mount). */
  executable: boolean;
  /** By index into the request's `cached`; absent: no such file. */
  cached: Map<number, CachedFact>;
  envSet: string[];
  envUnset: string[];
  /** Staged (ProbeRequest.stage): the workdir's physical path; the run directory and its workflow are there. Null: not staged. */
  root: string | null;
  /** Directories the probe made (staging): the run's cleanup may remove only what is below the workdir. */
  made: string[];
  /** Earlier runs' directories and partial uploads found (and maybe removed) in the workdir. */
  leftovers: Leftover[];
}

export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A path as the probe gets it: never starting with `-` (it would read as an option). */
function shellPath(path: string): string {
  return path.startsWith('/') || path.startsWith('.') ? path : `./${path}`;
}

/** The exec request: the fixed bootstrap, the script and its arguments on stdin. */
export function buildProbeRequest(request: ProbeRequest): ExecRequest {
  for (const name of request.env) {
    if (!ENV_NAME.test(name)) throw new Error(`not an environment variable name: ${JSON.stringify(name)}`);
  }
  const cached = request.cached.flatMap((c) => {
    if (!/^[0-9a-f]{64}$/.test(c.sha256)) throw new Error(`not a sha256: ${JSON.stringify(c.sha256)}`);
    return [shellPath(c.path), c.sha256];
  });
  const stage = request.stage;
  if (stage !== undefined && !/^[A-Za-z0-9._-]+$/.test(stage.runDirName)) throw new Error(`not a run directory name: ${JSON.stringify(stage.runDirName)}`);
  if (stage !== undefined && !/^[A-Za-z0-9._:= \n-]*$/.test(stage.marker)) throw new Error(`not a run marker: ${JSON.stringify(stage.marker)}`);
  const sweep = request.leftovers ?? { mode: 'none', hostSlug: 'h0', staleSeconds: 0 };
  if (!/^h[0-9a-f]+$/.test(sweep.hostSlug) || !Number.isInteger(sweep.staleSeconds)) throw new Error(`bad leftover sweep: ${JSON.stringify(sweep)}`);
  const args = [shellPath(request.workdir), String(request.cached.length), stage?.runDirName ?? '-', stage?.marker ?? '', sweep.mode, sweep.hostSlug, String(sweep.staleSeconds), ...cached, ...request.env];
  // The workflow follows the program line on stdin: the script's `cat` reads it to the end.
  return execRequest({ script: PROBE_SCRIPT, args }, stage === undefined ? undefined : Buffer.from(stage.workflow, 'utf8'));
}

/** Parses what the probe printed on stderr; throws when its markers are missing (the script did not run). */
export function parseProbeOutput(stderr: string): HostFacts {
  const begin = stderr.lastIndexOf('@@tea-probe-begin');
  const end = stderr.indexOf('@@tea-probe-end', begin);
  if (begin < 0 || end < 0) {
    const tail = stderr.trim().split('\n').slice(-3).join(' | ');
    throw new Error(`the host did not run the probe script${tail === '' ? '' : `: ${tail}`}`);
  }
  const values = new Map<string, string[]>();
  for (const line of stderr.slice(begin, end).split('\n').slice(1)) {
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const key = line.slice(0, eq);
    values.set(key, [...(values.get(key) ?? []), line.slice(eq + 1)]);
  }
  const one = (key: string) => values.get(key)?.[0] ?? '';
  const [os = '', machine = ''] = one('uname').trim().split(/\s+/);
  const nodeVersion = one('node_version').trim();
  const major = /^v(\d+)\./.exec(nodeVersion)?.[1];
  const free = one('free_kib').trim();
  const cached = new Map<number, CachedFact>();
  for (const key of values.keys()) {
    const m = /^cached_(\d+)_size$/.exec(key);
    if (m === null) continue;
    const i = Number(m[1]);
    const fact: CachedFact = { size: Number(one(key)), sha256: one(`cached_${i}_sha256`).trim() };
    if (values.has(`cached_${i}_foreign`)) fact.foreign = one(`cached_${i}_foreign`);
    if (values.has(`cached_${i}_rc`)) {
      fact.rc = Number(one(`cached_${i}_rc`));
      fact.version = one(`cached_${i}_version`).trim();
    }
    if (values.has(`cached_${i}_cc`)) fact.codeCaches = values.get(`cached_${i}_cc`)!;
    cached.set(i, fact);
  }
  const untrusted = (values.get('trust_bad') ?? []).map(parseFinding);
  if (one('trust') !== 'yes' && untrusted.length === 0) throw new Error('the probe script did not report its workdir trust check');
  return {
    shell: one('shell').trim(),
    uid: Number(one('uid')),
    user: one('user'),
    home: values.has('home') ? one('home') : null,
    untrusted,
    os,
    machine,
    node: one('node_path') === '' ? null : { path: one('node_path'), version: nodeVersion || 'unknown', major: major === undefined ? 0 : Number(major) },
    dir: one('dir'),
    freeBytes: /^\d+$/.test(free) ? Number(free) * 1024 : null,
    writable: one('writable') === 'yes',
    executable: one('executable') === 'yes',
    cached,
    envSet: values.get('env_set') ?? [],
    envUnset: values.get('env_unset') ?? [],
    root: values.has('root') ? one('root') : null,
    made: values.get('made') ?? [],
    leftovers: parseLeftovers(values.get('left') ?? []),
  };
}

/** `<role> <mode> <uid> <owner> <path>` (the path last: it may hold spaces). */
function parseFinding(line: string): TrustFinding {
  // Fields are empty when `ls` printed nothing (no ls, no permission): judged untrusted.
  const m = /^(anc|home|workdir|cache|run) (\S*) (\S*) (\S*) (.*)$/.exec(line);
  if (m === null) throw new Error(`unexpected trust line from the probe: ${JSON.stringify(line)}`);
  return { role: m[1] as TrustFinding['role'], mode: m[2]!, uid: m[3] === '' ? -1 : Number(m[3]), owner: m[4]!, path: m[5]! };
}
