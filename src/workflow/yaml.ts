import { parseDocument } from 'yaml';
import { TeaError } from '../errors';

/**
 * Parses YAML text into plain data. Syntax errors become one E_WORKFLOW_INVALID
 * error naming the file, line and column, without yaml's multi-line excerpt.
 */
export function parseYaml(text: string, source = 'workflow'): unknown {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  const problem = doc.errors[0];
  if (problem !== undefined) {
    const at = problem.linePos?.[0];
    const where = at === undefined ? '' : ` at line ${at.line}, column ${at.col}`;
    const reason = problem.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    throw new TeaError('E_WORKFLOW_INVALID', `${source}: invalid YAML${where}: ${reason}`);
  }
  try {
    return doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    // e.g. an alias expanding past maxAliasCount (a "billion laughs" document)
    throw new TeaError('E_WORKFLOW_INVALID', `${source}: invalid YAML: ${(error as Error).message}`, { cause: error });
  }
}
