/**
 * The hidden CLI command that runs the warm runner on a host (src/cli/main.ts). Alone in its
 * module: the CLI reads it at every start, and runner-script.ts loads node:crypto, which a
 * `tea run` must not pay for.
 */
export const RUNNER_COMMAND = '__runner';

/**
 * Set by a standby worker's loader (host-runner.ts) before the program runs: a promise that
 * resolves once the worker got its branch (argv and environment in place). The CLI entry
 * then runs that branch; until then the program's top level is evaluated and waits.
 */
export const STANDBY_SLOT = Symbol.for('tea.standby');
