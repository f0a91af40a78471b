import { homedir } from 'node:os';
import { join } from 'node:path';

/** Expands a leading `~` to the local home directory (as ssh does). */
export function expandHome(path: string): string {
  if (path === '~') return homedir();
  if (path.startsWith('~/')) return join(homedir(), path.slice(2));
  return path;
}
