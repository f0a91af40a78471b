import { readFileSync } from 'node:fs';
import { join } from 'node:path';

// docs/events.md must name every member of the closed RunEvent union (src/events.ts).
const root = join(__dirname, '..', '..', '..');
const source = readFileSync(join(root, 'src/events.ts'), 'utf8');
const docs = readFileSync(join(root, 'docs/events.md'), 'utf8');
const union = /export type RunEvent =([\s\S]*?);\n\n/.exec(source)?.[1] ?? '';
const types = [...union.matchAll(/type: ([^;]+);/g)].flatMap((m) => [...m[1]!.matchAll(/'([a-z:-]+)'/g)].map((t) => t[1]!));

it('docs/events.md documents every RunEvent type', () => {
  expect(types).toEqual(expect.arrayContaining(['fanout:finished', 'flow:started', 'breaker:half-open']));
  expect(types.filter((t) => !docs.includes(`\`${t}\``))).toEqual([]);
});
