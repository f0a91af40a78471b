import { stat } from 'node:fs/promises';
import path from 'node:path';
import { errorMessage, TeaError, writeFileAtomic } from '../cli-api';

/** Checks before the run that `--output` can be written, so a long run does not end in E_USAGE. */
export async function checkOutputPath(file: string): Promise<string> {
  const target = path.resolve(file);
  const dir = path.dirname(target);
  const dirStat = await stat(dir).catch(() => undefined);
  if (dirStat === undefined || !dirStat.isDirectory()) throw new TeaError('E_USAGE', `--output ${file}: directory ${dir} does not exist`);
  const existing = await stat(target).catch(() => undefined);
  if (existing?.isDirectory()) throw new TeaError('E_USAGE', `--output ${file} is a directory`);
  return target;
}

/**
 * Writes JSON so that readers see the old file or the whole new one, never a part:
 * a temp file in the same directory, flushed to disk, then renamed over the target.
 */
export async function writeJsonAtomic(file: string, value: unknown): Promise<void> {
  let text: string;
  try {
    text = `${JSON.stringify(value)}\n`;
  } catch (error) {
    throw new TeaError('E_NODE_FAILED', `the final state cannot be written as JSON: ${errorMessage(error)}`, { cause: error });
  }
  try {
    // Owner-only: a state can hold secrets (and on a remote host this is the branch's result.json).
    await writeFileAtomic(file, text, 0o600);
  } catch (error) {
    throw new TeaError('E_USAGE', `cannot write --output ${file}: ${errorMessage(error)}`, { cause: error });
  }
}
