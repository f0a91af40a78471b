import { TeaError } from '../cli-api';
import type { Command } from './command';
import { COMMANDS } from './commands';
import { writeAll, type CliIo } from './io';
import { exitCodeFor, formatError } from './report-error';
import { VERSION } from './version';

function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  const lines = COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return `Usage: tea <command> [options]\n\nCommands:\n${lines.join('\n')}\n\n  tea --version     print the version\n  tea <command> --help\n`;
}

/**
 * The whole CLI as a function: dispatches to a command and turns any error into
 * the one `Error: ...` line and an exit code. It never calls process.exit.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  const verbose = argv.includes('--verbose') || argv.includes('-v');
  try {
    if (name === '--version' || name === '-V') {
      await writeAll(io.stdout, `${VERSION}\n`);
      return 0;
    }
    if (name === '--help' || name === '-h' || name === 'help') {
      await writeAll(io.stdout, usage());
      return 0;
    }
    if (name === undefined) {
      await writeAll(io.stderr, usage());
      return 2;
    }
    const command: Command | undefined = COMMANDS.find((c) => c.name === name);
    if (command === undefined) {
      const names = COMMANDS.map((c) => c.name).join(', ');
      throw new TeaError('E_USAGE', `unknown command "${name}" (commands: ${names}; see "tea --help")`);
    }
    return await command.run(rest, io);
  } catch (error) {
    await writeAll(io.stderr, formatError(error, verbose));
    return exitCodeFor(error);
  }
}
