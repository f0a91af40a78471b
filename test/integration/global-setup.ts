import { execFileSync } from 'node:child_process';
import path from 'node:path';

/**
 * The integration tests drive the built artifact (dist/tea), as users and remote
 * hosts do, so it is built once before them. TEA_SKIP_BUILD=1 skips this when
 * dist/ is already fresh (e.g. CI that has just run `npm run build`).
 */
export default function globalSetup(): void {
  if (process.env.TEA_SKIP_BUILD === '1') return;
  execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: path.resolve(__dirname, '..', '..'), stdio: 'inherit' });
}
