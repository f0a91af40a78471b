import type { z } from 'zod';

/** Formats a zod path as `a.b[2].c` under a prefix such as `settings.parallel`. */
export function formatPath(prefix: string, path: ReadonlyArray<PropertyKey>): string {
  let out = prefix;
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out === '' ? '(root)' : out;
}

/** One line per issue: `settings.parallel.remote.hosts[1]: port must be 1-65535 (got "99999")`. */
export function formatIssues(prefix: string, error: z.ZodError): string {
  return error.issues.map((issue) => `${formatPath(prefix, issue.path)}: ${issue.message}`).join('\n');
}
