/**
 * POSIX shell quoting. Every string that reaches a remote shell goes through
 * `quote`: single quotes make everything literal; an embedded single quote is
 * closed, escaped and reopened. NUL cannot be passed through a shell at all.
 */
export function quote(value: string): string {
  if (value.includes('\0')) throw new Error('a NUL character cannot be passed to a remote shell');
  if (/^[A-Za-z0-9_\-+=.,/:@%]+$/.test(value)) return value;
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** Quotes each argument and joins them into one command line. */
export function shellJoin(argv: readonly string[]): string {
  return argv.map(quote).join(' ');
}
