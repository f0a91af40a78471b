import { parseArgs, type ParseArgsConfig } from 'node:util';
import { TeaError } from '../cli-api';
import type { CliIo } from './io';

/** One `tea <name>` command; add one by writing a file in commands/ and listing it in commands/index.ts. */
export interface Command {
  readonly name: string;
  /** One line for `tea --help`. */
  readonly summary: string;
  /** Full usage text for `tea <name> --help`. */
  readonly usage: string;
  /** Resolves with the exit code; throws TeaErrors, which the program reports. */
  run(args: string[], io: CliIo): Promise<number>;
}

/** `util.parseArgs` (give it `strict: true, allowPositionals: true`), its errors turned into one-line E_USAGE errors. */
export function parseCommandArgs<T extends ParseArgsConfig>(command: string, config: T): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (error) {
    const reason = (error as Error).message.split('\n')[0];
    throw new TeaError('E_USAGE', `tea ${command}: ${reason} (see "tea ${command} --help")`, { cause: error });
  }
}
