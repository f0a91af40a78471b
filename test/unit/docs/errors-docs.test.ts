import { readFileSync } from 'node:fs';
import { join } from 'node:path';

// docs/errors.md must have a row for every code of the ErrorCode union in src/errors.ts, and no stale ones.
const root = join(__dirname, '..', '..', '..');
const source = readFileSync(join(root, 'src/errors.ts'), 'utf8');
const docs = readFileSync(join(root, 'docs/errors.md'), 'utf8');

const union = /export type ErrorCode =([\s\S]*?);/.exec(source)?.[1] ?? '';
const codes = [...union.matchAll(/'(E_[A-Z_]+)'/g)].map((m) => m[1]!);
const rows = [...docs.matchAll(/^\| `(E_[A-Z_]+)` \|(.*)$/gm)].map((m) => ({ code: m[1]!, cells: m[2]!.split(' | ') }));

describe('docs/errors.md', () => {
  it('finds the codes in src/errors.ts', () => {
    expect(codes.length).toBeGreaterThan(10);
  });

  it('has one row per error code, each with cause, retried? and what to do', () => {
    expect(rows.map((r) => r.code).sort()).toEqual([...codes].sort());
    for (const row of rows) expect({ code: row.code, filled: row.cells.filter((c) => c.trim() !== '' && c.trim() !== '|').length }).toEqual({ code: row.code, filled: 3 });
  });
});
