/**
 * The layering the code is shaped by (docs/decisions.md, "Layout"), read from the imports
 * themselves: every static `from '...'` and dynamic `import('...')` in src/.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const SRC = path.resolve(__dirname, '../../src');

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return files(full);
    return e.name.endsWith('.ts') ? [full] : [];
  });
}

/** file (relative to src, no extension) -> the src modules it imports (relative to src, no extension). */
export function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of files(SRC)) {
    const text = readFileSync(file, 'utf8');
    const specs = [...text.matchAll(/(?:\bfrom\s+|\bimport\s*\(\s*|\brequire\s*\(\s*|^import\s+)'(\.{1,2}\/[^']+)'/gm)].map((m) => m[1]!);
    const from = path.relative(SRC, file).replace(/\.ts$/, '');
    graph.set(
      from,
      specs.map((s) => path.relative(SRC, path.resolve(path.dirname(file), s))),
    );
  }
  return graph;
}

const top = (module: string) => module.split('/')[0]!;

describe('the import graph', () => {
  const graph = importGraph();

  it('is read from the sources (the check cannot pass on an empty graph)', () => {
    expect(graph.size).toBeGreaterThan(50);
    expect(graph.get('executors/registry')).toContain('executors/remote');
  });

  it.each([
    ['remote', 'plan'],
    ['remote', 'cli'],
    ['plan', 'cli'],
  ])('nothing in src/%s imports src/%s', (from, to) => {
    const offending = [...graph].flatMap(([file, deps]) => (top(file) === from ? deps.filter((d) => top(d) === to).map((d) => `${file} -> ${d}`) : []));
    expect(offending).toEqual([]);
  });

  it('the CLI imports only the public entries (src/index.ts, src/cli-api.ts) outside src/cli', () => {
    // loader.ts runs before the bundled program and is bundled alone: it takes the code cache only.
    const allowed = (file: string, dep: string) => top(dep) === 'cli' || dep === 'index' || dep === 'cli-api' || (file === 'cli/loader' && dep === 'util/code-cache');
    const offending = [...graph].flatMap(([file, deps]) => (top(file) === 'cli' ? deps.filter((d) => !allowed(file, d)).map((d) => `${file} -> ${d}`) : []));
    expect(offending).toEqual([]);
    // The check sees the CLI's imports at all.
    expect(graph.get('cli/commands/run')).toContain('cli-api');
  });

  it('the package exports the public entry only', () => {
    const pkg = JSON.parse(readFileSync(path.resolve(SRC, '../package.json'), 'utf8')) as { exports: Record<string, unknown>; main?: string; types?: string };
    expect(pkg.exports).toEqual({ '.': { types: './dist/lib/index.d.ts', default: './dist/lib/index.js' }, './package.json': './package.json' });
  });
});

