/**
 * The hidden CLI command that runs the warm runner on a host (src/cli/main.ts). Alone in its
 * module: the CLI reads it at every start, and runner-script.ts loads node:crypto, which a
 * `tea run` must not pay for.
 */
export const RUNNER_COMMAND = '__runner';
