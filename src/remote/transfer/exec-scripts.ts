import { Readable } from 'node:stream';
import { execRequest } from '../command/bootstrap';

/**
 * The POSIX sh scripts the exec transfer runs, one exec each. The login shell only sees the
 * fixed bootstrap (command/bootstrap.ts); script and arguments follow on stdin, then the
 * content (never on a command line); what comes back follows a
 * per-call marker line on stdout, so text an rc file prints before the command is skipped.
 * Exit statuses: 0 ok; NO_SUCH_FILE; TOO_BIG; BAD_SIZE, BAD_HASH (upload removed); 1 other.
 */
export const NO_SUCH_FILE = 20;
export const TOO_BIG = 21;
export const BAD_SIZE = 22;
export const BAD_HASH = 23;

const SCRIPTS = {
  // $1 dir $2 marker: mkdir -p (0700), then its physical path after the marker.
  ensureDir: 'umask 077; mkdir -p -- "$1" && cd -- "$1" && printf "\\n%s\\n" "$2" && pwd -P',
  // $1 marker $2 base $3 last sticky-allowed index, then names: each made 0700, or (when it
  // existed) judged by the workdir trust rule (workdir-trust.ts; ls -ldn never follows it).
  // After the marker: "bad <mode> <uid> <index>" for the first one that fails (nothing
  // made below it), else "ok <physical path>".
  ensureTrusted: [
    'umask 077; m=$1; p=$2; a=$3; shift 3; u=$(id -u); i=0; set -f; printf "\\n%s\\n" "$m"',
    'for n; do',
    '  p=${p%/}/$n; i=$((i+1))',
    '  mkdir -- "$p" 2>/dev/null && continue',
    '  set -- $(ls -ldn -- "$p" 2>/dev/null); k=$1; x=$3; b=',
    '  case $k in d*) ;; *) b=1;; esac',
    '  [ "$x" = "$u" ] || [ "$x" = 0 ] || b=1',
    '  case $k in ?????w*|????????w*) if [ "$i" -gt "$a" ]; then b=1; elif [ "$x" = 0 ]; then case $k in ?????????[tT]*) ;; *) b=1;; esac; else b=1; fi;; esac',
    '  if [ -n "$b" ]; then printf "bad %s %s %s\\n" "$k" "$x" "$i"; exit 0; fi',
    'done',
    'cd -P -- "$p" && printf "ok %s\\n" "$(pwd -P)"',
  ].join('; ').replace(/do; /g, 'do ').replace(/; done/g, '; done'),
  // $1 path $2 marker: the size after the marker, nothing when missing.
  size: 'if [ -f "$1" ]; then s=$(wc -c < "$1") && printf "\\n%s\\n%s\\n" "$2" $s; else printf "\\n%s\\n" "$2"; fi',
  // $1 target $2 temp $3 size $4 sha256 or - $5 mode: stdin to temp, checked, renamed.
  // A cut-short upload (the client's TERM when its signal aborts, the channel gone) removes the temp.
  put: [
    'umask 077',
    `trap 'rm -f -- "$2"; exit 143' TERM HUP INT PIPE`,
    'cat > "$2" || { rm -f "$2"; exit 1; }',
    's=$(wc -c < "$2"); s=$((s))',
    `if [ "$s" -ne "$3" ]; then rm -f "$2"; echo "tea: received $s of $3 bytes" >&2; exit ${BAD_SIZE}; fi`,
    `if [ "$4" = - ]; then :; elif command -v sha256sum >/dev/null 2>&1; then h=$(sha256sum < "$2"); h=\${h%% *}; [ "$h" = "$4" ] || { rm -f "$2"; echo "tea: sha256 $h, expected $4" >&2; exit ${BAD_HASH}; }; fi`,
    'chmod "$5" "$2" && mv -f "$2" "$1" || { rm -f "$2"; exit 1; }',
  ].join('; '),
  // $1 temp $2 target $3 size $4 sha256 or -: an upload that arrived by SFTP, checked and renamed
  // in one exec (one round trip of requests instead of stat, hash and rename: issue 21).
  settle: [
    's=$(wc -c < "$1") || exit 1; s=$((s))',
    `if [ "$s" -ne "$3" ]; then rm -f "$1"; echo "tea: size mismatch after upload: $s of $3 bytes" >&2; exit ${BAD_SIZE}; fi`,
    `if [ "$4" = - ]; then :; elif command -v sha256sum >/dev/null 2>&1; then h=$(sha256sum < "$1"); h=\${h%% *}; [ "$h" = "$4" ] || { rm -f "$1"; echo "tea: sha256 mismatch after upload: host has $h, expected $4" >&2; exit ${BAD_HASH}; }; fi`,
    'mv -f -- "$1" "$2" || { rm -f "$1"; exit 1; }',
  ].join('; '),
  // $1 path $2 max bytes $3 marker: marker and size, then the content.
  read: `[ -f "$1" ] || exit ${NO_SUCH_FILE}; s=$(wc -c < "$1"); s=$((s)); [ "$s" -le "$2" ] || { echo "tea: $1 has $s bytes, more than $2" >&2; exit ${TOO_BIG}; }; printf "\\n%s %s\\n" "$3" $s; cat -- "$1"`,
  // files, then empty directories; missing ones are fine.
  remove: 'for p in "$@"; do if [ -d "$p" ]; then rmdir -- "$p" 2>/dev/null || rm -rf -- "$p"; else rm -f -- "$p"; fi; done',
} as const;

export type ScriptName = keyof typeof SCRIPTS;

/**
 * The exec request: the fixed bootstrap as the command line (the only text the login shell
 * parses), the script and its arguments in the program line on stdin, then `content` (what
 * `put` reads with cat; the bootstrap's `read` stops at the program line's newline).
 */
export function scriptRequest(name: ScriptName, args: readonly string[], content?: Buffer | NodeJS.ReadableStream): { command: string; stdin: Buffer | Readable } {
  const { command, stdin: line } = execRequest({ script: SCRIPTS[name], args });
  if (content === undefined) return { command, stdin: line };
  if (Buffer.isBuffer(content)) return { command, stdin: Buffer.concat([line, content]) };
  return {
    command,
    stdin: Readable.from(
      (async function* () {
        yield line;
        for await (const chunk of content) yield chunk as Buffer;
      })(),
    ),
  };
}

/** The script text, for tests that check it stays shell-neutral. */
export function scriptText(name: ScriptName): string {
  return SCRIPTS[name];
}

/**
 * What follows the marker line in stdout; null when it is missing. The scripts print a newline
 * before the marker, so it starts a line even after rc text that does not end with one.
 */
export function afterMarker(stdout: Buffer, marker: string): Buffer | null {
  const line = Buffer.from(`\n${marker}\n`);
  const at = stdout.lastIndexOf(line);
  return at < 0 ? null : stdout.subarray(at + line.length);
}

/** Parses `\n<marker> <size>\n<content>` from a read; null when the frame is not there or is short. */
export function readFrame(stdout: Buffer, marker: string): { size: number; content: Buffer } | null {
  const head = Buffer.from(`\n${marker} `);
  const at = stdout.indexOf(head);
  if (at < 0) return null;
  const eol = stdout.indexOf(0x0a, at + head.length);
  if (eol < 0) return null;
  const size = Number(stdout.subarray(at + head.length, eol).toString('ascii'));
  if (!Number.isSafeInteger(size) || size < 0) return null;
  const content = stdout.subarray(eol + 1);
  if (content.length !== size) return null;
  return { size, content };
}
