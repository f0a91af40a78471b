import { readTextFile, TeaError } from '../cli-api';
import type { State } from '../cli-api';

/**
 * The `--input` value as a state: `-` reads stdin, `@path` reads a file, text that
 * starts with `{` is inline JSON, anything else is a file path.
 */
export async function readInput(spec: string | undefined, stdin: NodeJS.ReadableStream): Promise<State> {
  if (spec === undefined) return {};
  if (spec === '-') return parseState(await readStream(stdin), 'stdin');
  if (spec.startsWith('@')) return parseState(await readInputFile(spec.slice(1)), spec.slice(1));
  if (/^\s*[{[]/.test(spec)) return parseState(spec, 'inline JSON');
  return parseState(await readInputFile(spec), spec);
}

function parseState(text: string, source: string): State {
  const trimmed = text.replace(/^\uFEFF/, '').trim();
  if (trimmed === '') throw new TeaError('E_INPUT_INVALID', `--input ${source} is empty (expected a JSON object)`);
  let value: unknown;
  try {
    value = JSON.parse(trimmed);
  } catch (error) {
    throw new TeaError('E_INPUT_INVALID', `--input ${source} is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    const got = value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;
    throw new TeaError('E_INPUT_INVALID', `--input ${source} must be a JSON object (got ${got})`);
  }
  return value as State;
}

async function readInputFile(file: string): Promise<string> {
  try {
    return await readTextFile(file);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message;
    throw new TeaError('E_INPUT_INVALID', `cannot read --input ${file}: ${reason} (inline JSON must start with "{")`, { cause: error });
  }
}

async function readStream(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString('utf8');
}
