import path from 'node:path';

/**
 * The single-file tea CLI this code belongs to: the file to spawn for `process`
 * branches and, by default, to ship to remote hosts. Bundled, this code *is*
 * dist/tea; compiled to dist/lib/executors/ or run from src/executors/ by tests,
 * the artifact is dist/tea of the same checkout.
 */
export function selfCliPath(): string {
  if (!/\.[cm]?[jt]s$/.test(__filename)) return __filename;
  const root = path.resolve(__dirname, '..', '..');
  return path.basename(root) === 'dist' ? path.join(root, 'tea') : path.join(root, 'dist', 'tea');
}
