/**
 * Reads the branch's result out of the exec channel's stdout (see RUN_SCRIPT): whatever rc
 * files print comes first and is skipped; then `\n@@tea-result-<nonce> <what>\n`, where
 * <what> is a byte count followed by that many bytes and `\n@@tea-end-<nonce>\n`, or a word
 * saying why there is no result. Memory stays bounded: before the marker only a marker's
 * length is kept, after it at most the announced count (itself bounded).
 */
export type ResultFrame =
  | { kind: 'ok'; data: Buffer }
  /** result.json is a symlink, FIFO, device or directory: refused before reading. */
  | { kind: 'invalid' }
  | { kind: 'missing' }
  | { kind: 'too-large'; size: number }
  /** The frame is absent, cut short, or malformed. */
  | { kind: 'broken'; reason: string };

export class ResultFrameReader {
  readonly #begin: Buffer;
  readonly #end: Buffer;
  #seek: Buffer = Buffer.alloc(0);
  #header: Buffer | null = null;
  #size = -1;
  #parts: Buffer[] = [];
  #got = 0;
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
    if (this.#size < 0) {
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
      const large = /^too-large (\d+)$/.exec(what);
      if (large !== null) return void (this.#frame = { kind: 'too-large', size: Number(large[1]) });
      if (!/^\d+$/.test(what)) return void (this.#frame = { kind: 'broken', reason: `unexpected result header ${JSON.stringify(what.slice(0, 32))}` });
      this.#size = Number(what);
      if (this.#size > this.maxBytes) return void (this.#frame = { kind: 'too-large', size: this.#size });
    }
    // Body then end marker; stop keeping data once both are complete.
    const need = this.#size + this.#end.length - this.#got;
    const take = chunk.subarray(0, need);
    this.#parts.push(take);
    this.#got += take.length;
    if (this.#got === this.#size + this.#end.length) {
      const all = Buffer.concat(this.#parts);
      this.#parts = [];
      this.#frame = all.subarray(this.#size).equals(this.#end)
        ? { kind: 'ok', data: all.subarray(0, this.#size) }
        : { kind: 'broken', reason: 'result changed while it was read (end marker not where its length said)' };
    }
  }

  /** The frame once the stream ended. */
  finish(): ResultFrame {
    if (this.#frame !== null) return this.#frame;
    if (this.#header === null) return { kind: 'broken', reason: 'no result on the channel' };
    return { kind: 'broken', reason: `result cut short (${Math.max(0, this.#got)} of ${this.#size} bytes)` };
  }
}
