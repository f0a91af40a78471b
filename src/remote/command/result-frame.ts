/**
 * Reads the branch's result out of the exec channel's stdout (see RUN_SCRIPT): whatever rc
 * files print comes first and is skipped; then `\n@@tea-result-<nonce> <what>\n`, where
 * <what> is `stream` followed by the bytes of result.json (at most the bound + 1: the host
 * sends no more) and `\n@@tea-end-<nonce>\n`, or a word saying why there is no result. Only
 * the wrapper knows the nonce, so the first end marker ends the body whatever the result
 * holds. Memory stays bounded: before the marker only a marker's length is kept, after it at
 * most the bound plus a marker's length.
 */
export type ResultFrame =
  | { kind: 'ok'; data: Buffer }
  /** result.json is a symlink, FIFO, device or directory: refused before reading. */
  | { kind: 'invalid' }
  | { kind: 'missing' }
  /** result.json holds more than the bound: the rest was never read (`size` when the host said it). */
  | { kind: 'too-large'; size?: number }
  /** The frame is absent, cut short, or malformed. */
  | { kind: 'broken'; reason: string };

export class ResultFrameReader {
  readonly #begin: Buffer;
  readonly #end: Buffer;
  #seek: Buffer = Buffer.alloc(0);
  #header: Buffer | null = null;
  #streaming = false;
  #parts: Buffer[] = [];
  #got = 0;
  /** The body's last bytes (a marker's length - 1): an end marker may start in them. */
  #tail: Buffer = Buffer.alloc(0);
  #frame: ResultFrame | null = null;

  constructor(
    nonce: string,
    private readonly maxBytes: number,
  ) {
    this.#begin = Buffer.from(`\n@@tea-result-${nonce} `);
    this.#end = Buffer.from(`\n@@tea-end-${nonce}\n`);
  }

  push(chunk: Buffer): void {
    if (this.#frame !== null) return;
    if (this.#header === null) {
      const text = Buffer.concat([this.#seek, chunk]);
      const at = text.indexOf(this.#begin);
      if (at < 0) {
        this.#seek = text.subarray(Math.max(0, text.length - this.#begin.length));
        return;
      }
      this.#seek = Buffer.alloc(0);
      this.#header = Buffer.alloc(0);
      chunk = text.subarray(at + this.#begin.length);
    }
    if (!this.#streaming) {
      const header = Buffer.concat([this.#header, chunk]);
      const nl = header.indexOf(0x0a);
      if (nl < 0) {
        if (header.length > 64) this.#frame = { kind: 'broken', reason: 'result header too long' };
        else this.#header = header;
        return;
      }
      const what = header.subarray(0, nl).toString('latin1');
      chunk = header.subarray(nl + 1);
      if (what === 'invalid' || what === 'missing') return void (this.#frame = { kind: what });
      if (what !== 'stream') return void (this.#frame = { kind: 'broken', reason: `unexpected result header ${JSON.stringify(what.slice(0, 32))}` });
      this.#streaming = true;
    }
    this.#body(chunk);
  }

  /** Body bytes until the end marker, which may straddle chunks. */
  #body(chunk: Buffer): void {
    const carry = this.#tail;
    const window = Buffer.concat([carry, chunk]);
    this.#tail = window.subarray(Math.max(0, window.length - (this.#end.length - 1)));
    const at = window.indexOf(this.#end);
    const limit = this.maxBytes + this.#end.length;
    if (at < 0) {
      this.#parts.push(chunk);
      this.#got += chunk.length;
      // The host sends at most the bound + 1 bytes of body: past that (and no end), it is too large.
      if (this.#got > limit) this.#tooLarge();
      return;
    }
    const size = this.#got - carry.length + at;
    if (size > this.maxBytes) return this.#tooLarge();
    this.#parts.push(chunk);
    const data = Buffer.concat(this.#parts).subarray(0, size);
    this.#parts = [];
    this.#frame = { kind: 'ok', data };
  }

  #tooLarge(): void {
    this.#parts = [];
    this.#frame = { kind: 'too-large' };
  }

  /** The frame once the stream ended. */
  finish(): ResultFrame {
    if (this.#frame !== null) return this.#frame;
    if (this.#header === null) return { kind: 'broken', reason: 'no result on the channel' };
    return { kind: 'broken', reason: `result cut short (${this.#got} bytes, no end marker)` };
  }
}
