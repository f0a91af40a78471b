import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { configKeys, renderConfigDocs } from '../../../scripts/config-docs';
import { parallelConfigSchema } from '../../../src/config/parallel';
import { hostObjectSchema } from '../../../src/config/remote';

// docs/configuration.md is generated from the zod schemas; these fail when it drifts.
const root = join(__dirname, '..', '..', '..');
const read = (p: string) => readFileSync(join(root, p), 'utf8');
const sources = { parallel: read('src/config/parallel.ts'), remote: read('src/config/remote.ts') };
const docs = read('docs/configuration.md');

/** Every key path, walked from the zod objects' `.shape` (independently of the generator). */
function shapeKeys(prefix: string, schema: unknown): string[] {
  let s = schema as { def: { type: string; innerType?: unknown }; shape?: Record<string, unknown> };
  while (s.def.type === 'optional' || s.def.type === 'default') s = s.def.innerType as typeof s;
  if (s.shape === undefined) return [];
  return Object.entries(s.shape).flatMap(([k, v]) => [`${prefix}.${k}`, ...shapeKeys(`${prefix}.${k}`, v)]);
}

describe('docs/configuration.md', () => {
  it('is up to date with the schemas (run `npm run docs:config`)', () => {
    expect(docs).toBe(renderConfigDocs(sources));
  });

  it('documents every schema key, each with a description', () => {
    const expected = [
      ...shapeKeys('settings.parallel', parallelConfigSchema),
      ...shapeKeys('settings.parallel.remote.hosts[]', hostObjectSchema),
    ];
    const documented = configKeys(sources);
    expect(documented.map((k) => k.path).sort()).toEqual(expected.sort());
    expect(documented.filter((k) => k.description === undefined).map((k) => k.path)).toEqual([]);
    for (const path of expected) {
      const name = path.slice(path.lastIndexOf('.') + 1);
      const section = path.slice(0, path.lastIndexOf('.'));
      const at = docs.indexOf(`## \`${section}\``);
      expect({ path, inSection: at >= 0 && docs.indexOf(`| \`${name}\` |`, at) > at }).toEqual({ path, inSection: true });
    }
  });
});
