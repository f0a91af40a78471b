/** One line of GNU Parallel's --joblog: the last try of one job. */
export interface JoblogEntry {
  /** 1-based position of the job in the input (branch i is seq i + 1). */
  seq: number;
  /** The sshlogin the last try ran on, as GNU Parallel prints it: `[ssh command ]user@host:port`. */
  host: string;
  /** Seconds since the epoch. */
  startTime: number;
  runtimeSeconds: number;
  sent: number;
  received: number;
  /** -1 when GNU Parallel killed the job itself (--timeout, or it was stopped). */
  exitval: number;
  signal: number;
  command: string;
}

/**
 * Parses a joblog: a header, then `Seq Host Starttime JobRuntime Send Receive Exitval
 * Signal Command`, TAB-separated. GNU Parallel turns newlines in the command into
 * NULs, so one job is one line; the command (last column) may hold TABs. A line
 * that does not parse (a half-written last line) is skipped: its branch then has no
 * entry, like one that never ran.
 */
export function parseJoblog(text: string): Map<number, JoblogEntry> {
  const entries = new Map<number, JoblogEntry>();
  for (const line of text.split('\n')) {
    const fields = line.split('\t');
    if (fields.length < 9 || !/^\d+$/.test(fields[0]!)) continue;
    const numbers = fields.slice(2, 8).map((f) => Number(f.trim()));
    if (numbers.some((n) => !Number.isFinite(n))) continue;
    const [startTime, runtimeSeconds, sent, received, exitval, signal] = numbers as [number, number, number, number, number, number];
    const seq = Number(fields[0]);
    // With --retries only the last try is logged; a later line for the same seq wins anyway.
    entries.set(seq, { seq, host: fields[1]!, startTime, runtimeSeconds, sent, received, exitval, signal, command: fields.slice(8).join('\t') });
  }
  return entries;
}
