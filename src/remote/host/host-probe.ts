import { execRequest, type ExecRequest } from '../command/bootstrap';

/**
 * The facts a preflight needs, gathered by ONE exec on the host's connection: a POSIX
 * sh script that prints `key=value` lines between markers on stderr (stdout is drained
 * unread: rc files may print to it; the markers skip whatever they print on stderr).
 * It changes nothing on the host: its write test directory is removed at once.
 */
export const PROBE_SCRIPT = [
  'w=$1; n=$2; shift 2',
  "o() { printf '%s=%s\\n' \"$1\" \"$2\" >&2; }",
  "printf '\\n@@tea-probe-begin\\n' >&2",
  // sshd sets SHELL to the login shell, which ran the bootstrap to get here.
  'o shell "${SHELL-}"',
  'o uname "$(uname -sm 2>/dev/null)"',
  'if p=$(command -v node 2>/dev/null); then o node_path "$p"; o node_version "$(node --version 2>/dev/null </dev/null)"; fi',
  // workdir may not exist yet: measure and test the nearest directory that does.
  'd=$w; while [ ! -d "$d" ]; do d=$(dirname "$d"); done',
  'o dir "$d"',
  'o free_kib "$(df -Pk "$d" 2>/dev/null | awk \'NR==2 {print $4}\')"',
  't="$d/.tea-probe-$$"',
  'if mkdir "$t" 2>/dev/null; then o writable yes;',
  "  printf '#!/bin/sh\\nexit 0\\n' >\"$t/x\" 2>/dev/null && chmod 700 \"$t/x\" && \"$t/x\" 2>/dev/null && o executable yes || o executable no;",
  '  rm -rf "$t";',
  'else o writable no; fi',
  'i=0',
  'while [ "$i" -lt "$n" ]; do',
  '  c=$1; shift',
  '  if [ -f "$c" ]; then',
  '    v=$("$c" --version 2>&1 </dev/null); r=$?',
  '    o "cached_${i}_size" "$(wc -c <"$c" | tr -d \' \')"; o "cached_${i}_rc" "$r"',
  '    o "cached_${i}_version" "$(printf \'%s\\n\' "$v" | head -n 1)"',
  '  fi',
  '  i=$((i+1))',
  'done',
  // Only names are printed, never values; names are checked against [A-Za-z_][A-Za-z0-9_]*.
  'for e; do if env | grep "^$e=" >/dev/null; then o env_set "$e"; else o env_unset "$e"; fi; done',
  "printf '@@tea-probe-end\\n' >&2",
].join('\n');

export interface ProbeRequest {
  /** The workdir as the login directory sees it (relative paths are under it). */
  workdir: string;
  /** Cached basefile paths to look at: size, and whether `--version` runs. */
  cached: readonly string[];
  /** Env var names whose arrival (sshd AcceptEnv) is tested; sent by the caller with the exec. */
  env: readonly string[];
}

export interface CachedFact {
  size: number;
  /** Exit status of `<cached> --version`. */
  rc: number;
  /** First line it printed. */
  version: string;
}

export interface HostFacts {
  /** The login shell (sshd's SHELL), '' when unknown. */
  shell: string;
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
  const args = [shellPath(request.workdir), String(request.cached.length), ...request.cached.map(shellPath), ...request.env];
  return execRequest({ script: PROBE_SCRIPT, args });
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
    cached.set(i, { size: Number(one(key)), rc: Number(one(`cached_${i}_rc`)), version: one(`cached_${i}_version`).trim() });
  }
  return {
    shell: one('shell').trim(),
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
  };
}
