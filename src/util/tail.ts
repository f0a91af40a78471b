/** Keeps the last `limit` bytes of a stream (a remote stderr can be endless). */
export class TailBuffer {
  #chunks: Buffer[] = [];
  #size = 0;

  constructor(private readonly limit = 4096) {}

  push(chunk: Buffer): void {
    this.#chunks.push(chunk);
    this.#size += chunk.length;
    while (this.#size - this.#chunks[0]!.length >= this.limit) {
      this.#size -= this.#chunks.shift()!.length;
    }
  }

  text(): string {
    const all = Buffer.concat(this.#chunks);
    return all.subarray(Math.max(0, all.length - this.limit)).toString('utf8').trim();
  }
}
