/** The library never prints: it reports through an injected logger (the CLI prints). */
export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

const GUARDED = Symbol('tea.guarded');

/**
 * A logger that cannot break a run: an embedder's logger that throws is ignored
 * (there is nowhere left to report it), instead of ending the process later as an
 * unhandled rejection from some callback.
 */
export function guardLogger(logger: Logger): Logger {
  if ((logger as { [GUARDED]?: true })[GUARDED]) return logger;
  const call = (level: keyof Logger) => (message: string) => {
    try {
      logger[level](message);
    } catch {
      /* a logger's own failure is not the run's */
    }
  };
  return Object.assign({ debug: call('debug'), info: call('info'), warn: call('warn'), error: call('error') }, { [GUARDED]: true as const });
}
