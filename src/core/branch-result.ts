import { TeaError, errorMessage } from '../errors';
import type { State } from '../executors/types';

/**
 * The one reader of a branch's result (process: out.json, remote and GNU Parallel:
 * result.json): JSON holding an object, else E_RESULT_INVALID (never retried: the
 * same code writes the same result).
 */
export function parseBranchResult(text: string, context: { where: string; flow: string; host?: string; file?: string }): State {
  const what = context.file ?? 'result.json';
  const tea = { flow: context.flow, ...(context.host === undefined ? {} : { host: context.host }) };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new TeaError('E_RESULT_INVALID', `${context.where}: ${what} is not valid JSON (${errorMessage(error)})`, { ...tea, cause: error });
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new TeaError('E_RESULT_INVALID', `${context.where}: ${what} must hold a JSON object, got ${Array.isArray(parsed) ? 'an array' : parsed === null ? 'null' : typeof parsed}`, tea);
  }
  return parsed as State;
}
