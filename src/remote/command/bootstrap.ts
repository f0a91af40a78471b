/**
 * The only text a login shell ever parses. sshd runs `$SHELL -c "<line>"`, and login
 * shells disagree on quoting: fish treats `\'` and `\\` as escapes inside single quotes,
 * tcsh/csh expand `!` there and have their own syntax. This line holds no backslash,
 * `!`, newline or inner single quote, so sh, dash, bash, zsh, fish, busybox ash and
 * tcsh/csh all read it the same: replace the login shell with /bin/sh, which reads ONE
 * line from the channel's stdin and evaluates it. Everything else (the script, its
 * arguments, transferred variables) travels on stdin and is parsed by /bin/sh only.
 *
 * `read` reads a pipe byte by byte up to the newline (POSIX requires it not to consume
 * more), so whatever follows the line on stdin is left for the script.
 */
export const BOOTSTRAP_COMMAND = `exec /bin/sh -c 'IFS= read -r l && eval "$l"'`;

/** Characters every login shell named above reads literally inside single quotes (checked by a unit test). */
export const NEUTRAL_LINE = /^exec \/bin\/sh -c '[A-Za-z0-9 =&"$_-]+'$/;

/**
 * POSIX sh single quoting that stays on one line: a newline becomes `'"$nl"'`, where
 * `nl` holds a newline (set by the program line before anything uses it).
 */
export function quoteLine(value: string): string {
  if (value.includes('\0')) throw new Error('a NUL character cannot be passed to a remote shell');
  if (/^[A-Za-z0-9_\-+=.,/:@%]+$/.test(value)) return value;
  return `'${value.replace(/'/g, `'\\''`).replace(/\n/g, `'"$nl"'`)}'`;
}

export interface Program {
  /** POSIX sh script text (any characters, multi-line). */
  script: string;
  /** Its positional parameters ($1...). */
  args?: readonly string[];
  /** Variables exported before the script runs (names checked by the caller's schema). */
  exports?: Readonly<Record<string, string>>;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The one line the bootstrap reads and evaluates (with its newline): sets `nl` (only when a
 * value holds a newline: it costs a subshell fork), exports the variables, sets the
 * arguments and evaluates the script. Nothing in it is seen by the login shell, appears on
 * a command line (`ps`) or is written to the host's disk.
 */
export function programLine(program: Program): string {
  const parts: string[] = [];
  for (const [name, value] of Object.entries(program.exports ?? {})) {
    if (!ENV_NAME.test(name)) throw new Error(`not an environment variable name: ${JSON.stringify(name)}`);
    parts.push(`export ${name}=${quoteLine(value)}`);
  }
  parts.push(`set -- ${(program.args ?? []).map(quoteLine).join(' ')}`.trimEnd());
  parts.push(`eval ${quoteLine(program.script)}`);
  if (parts.some((part) => part.includes('"$nl"'))) parts.unshift(`nl=$(printf '\\n_'); nl=\${nl%_}`);
  return `${parts.join('; ')}\n`;
}

/** An exec request: the fixed bootstrap as the command, the program on stdin. */
export interface ExecRequest {
  command: string;
  stdin: Buffer;
}

export function execRequest(program: Program, after?: Buffer): ExecRequest {
  const line = Buffer.from(programLine(program), 'utf8');
  return { command: BOOTSTRAP_COMMAND, stdin: after === undefined ? line : Buffer.concat([line, after]) };
}
