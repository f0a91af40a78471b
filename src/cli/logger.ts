import { printable } from '../cli-api';
import type { EventSink, Logger } from '../cli-api';

export type Verbosity = 'quiet' | 'normal' | 'verbose';

const RANK = { debug: 0, info: 1, warn: 2, error: 3 } as const;
const THRESHOLD: Record<Verbosity, number> = { verbose: RANK.debug, normal: RANK.info, quiet: RANK.error };

/**
 * Log lines on stderr as `tea: <level>: <message>`. They never start with
 * `Error: `, which is reserved for the one line that reports why the command failed.
 */
export function stderrLogger(stderr: NodeJS.WritableStream, verbosity: Verbosity): Logger {
  const at = (level: keyof typeof RANK) => (message: string) => {
    // printable(): names from the workflow may hold newlines; one message is one line.
    if (RANK[level] >= THRESHOLD[verbosity]) stderr.write(`tea: ${level}: ${printable(message)}\n`);
  };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** Run events as debug lines (shown with --verbose). */
export function logEvents(logger: Logger): EventSink {
  return (event) => {
    const { type, ...rest } = event;
    logger.debug(`event ${type} ${JSON.stringify(rest)}`);
  };
}
