/**
 * The form in which a workflow travels to its branches (process and remote `tea run`s): the
 * document as the client parsed and validated it, as one line of JSON whose first key marks
 * it. A branch then reads it with JSON.parse instead of the YAML parser (10-30x cheaper) and
 * loads only the part of it its scope can reach (slice.ts), so a branch's cost does not grow
 * with the workflow around it. The whole document was validated once, on the client.
 *
 * The marker key is a top-level key other loaders ignore (the document schema passes unknown
 * top-level keys through), so the text is still a valid workflow for any tea, read as YAML.
 */
const MARKER = 'tea_branch_form';
const PREFIX = `{"${MARKER}":1,`;
/** Set only by the process executor: the file the workflow came from, where `require` resolves. */
const ORIGIN = 'tea_origin';

/**
 * The branch form of a parsed document, or undefined when JSON cannot carry it exactly
 * (YAML's .inf/.nan, for example): the branches then get the YAML text as written.
 */
export function toBranchForm(raw: Record<string, unknown>): string | undefined {
  let exact = true;
  const text = JSON.stringify({ [MARKER]: 1, ...raw }, (_key, value: unknown) => {
    if (typeof value === 'number' && !Number.isFinite(value)) exact = false;
    else if (typeof value === 'bigint' || typeof value === 'function' || typeof value === 'symbol' || value === undefined) exact = false;
    else if (value instanceof Date || value instanceof Map || value instanceof Set || ArrayBuffer.isView(value)) exact = false;
    return value;
  });
  return exact && text.startsWith(PREFIX) ? text : undefined;
}

/**
 * The branch form for a local child process: it names the workflow's own file, so that
 * `require('./x')` in a node resolves beside it although the text is read from a temp file.
 * Undefined for a text that is not in branch form (the child then runs the file itself).
 */
export function withOrigin(branchText: string, workflowPath: string): string | undefined {
  if (!branchText.startsWith(PREFIX)) return undefined;
  return `${PREFIX}"${ORIGIN}":${JSON.stringify(workflowPath)},${branchText.slice(PREFIX.length)}`;
}

/** The branch form without the origin withOrigin() put in: what a process branch ships on. */
export function withoutOrigin(text: string, workflowPath: string): string {
  const inserted = `"${ORIGIN}":${JSON.stringify(workflowPath)},`;
  return text.startsWith(PREFIX + inserted) ? PREFIX + text.slice(PREFIX.length + inserted.length) : text;
}

/**
 * The document of a branch-form text (and the origin file, if named), or undefined for
 * anything else (YAML, or JSON a user wrote: those go through the YAML parser, which
 * reports duplicate keys and positions).
 */
export function parseBranchForm(text: string): { doc: Record<string, unknown>; origin?: string } | undefined {
  if (!text.startsWith(PREFIX)) return undefined;
  try {
    const { [MARKER]: _marker, [ORIGIN]: origin, ...doc } = JSON.parse(text) as Record<string, unknown>;
    return typeof origin === 'string' ? { doc, origin } : { doc };
  } catch {
    return undefined;
  }
}
