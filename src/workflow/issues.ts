import { TeaError, type ErrorCode } from '../errors';

/** Problems found in a document, each naming its path (`edges[2].fan_in`), reported together. */
export class Issues {
  readonly #lines: string[] = [];

  add(path: string, message: string): void {
    this.#lines.push(`${path}: ${message}`);
  }

  get empty(): boolean {
    return this.#lines.length === 0;
  }

  throwIfAny(code: ErrorCode = 'E_WORKFLOW_INVALID'): void {
    if (!this.empty) throw new TeaError(code, this.#lines.join('\n'));
  }
}
