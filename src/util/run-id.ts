import { randomBytes } from 'node:crypto';

/** A run's id: time base36 + 4 random bytes. It names the run's remote directories. */
export function newRunId(): string {
  return `${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}
