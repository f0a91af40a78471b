import { errorMessage, isTeaError, printable, USAGE_CODES } from '../cli-api';

/** 2 for what the user wrote or typed (usage, workflow, input, scope), 1 for a failed run. */
export function exitCodeFor(error: unknown): number {
  return isTeaError(error) && USAGE_CODES.has(error.code) ? 2 : 1;
}

/** The one `Error: ...` line; the stack (and causes) only when verbose. */
export function formatError(error: unknown, verbose: boolean): string {
  const line = errorMessage(error)
    .split('\n')
    .map((part) => printable(part.trim()))
    .filter((part) => part !== '')
    .join('; ');
  let out = `Error: ${line}\n`;
  if (verbose) {
    for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth += 1) {
      // The message escaped (it may hold workflow names), then the stack's own frames.
      const frames = (e.stack ?? '').split('\n').filter((l) => /^\s+at /.test(l));
      out += `${depth === 0 ? '' : 'caused by: '}${e.name}: ${printable(e.message)}\n${frames.map((f) => `${f}\n`).join('')}`;
    }
  }
  return out;
}
