/**
 * A set of chunk numbers kept as bits in pages allocated on first use: a pass over every
 * chunk of a 64 GiB volume (1 Mi chunks of 64 KiB) costs 128 KiB rather than a hash set
 * of a million entries, and a pass over a few chunks of a huge volume costs a few pages.
 */

/** Chunks per page: 4 KiB of bits. */
const PAGE_CHUNKS = 4096 * 8;

export class ChunkSet {
  private readonly pages = new Map<number, Uint8Array>();
  private count = 0;

  static of(chunks: Iterable<number>): ChunkSet {
    const set = new ChunkSet();
    for (const c of chunks) set.add(c);
    return set;
  }

  get size(): number {
    return this.count;
  }

  has(chunk: number): boolean {
    const page = this.pages.get(Math.floor(chunk / PAGE_CHUNKS));
    if (!page) return false;
    const bit = chunk % PAGE_CHUNKS;
    return (page[bit >> 3]! & (1 << (bit & 7))) !== 0;
  }

  /** Adds `chunk`; true when it was not in the set. */
  add(chunk: number): boolean {
    if (!Number.isSafeInteger(chunk) || chunk < 0) throw new RangeError(`chunk ${chunk} out of range`);
    const index = Math.floor(chunk / PAGE_CHUNKS);
    let page = this.pages.get(index);
    if (!page) this.pages.set(index, (page = new Uint8Array(PAGE_CHUNKS / 8)));
    const bit = chunk % PAGE_CHUNKS;
    const mask = 1 << (bit & 7);
    if (page[bit >> 3]! & mask) return false;
    page[bit >> 3]! |= mask;
    this.count++;
    return true;
  }

  /** Removes `chunk`; true when it was in the set. */
  delete(chunk: number): boolean {
    const page = this.pages.get(Math.floor(chunk / PAGE_CHUNKS));
    if (!page) return false;
    const bit = chunk % PAGE_CHUNKS;
    const mask = 1 << (bit & 7);
    if ((page[bit >> 3]! & mask) === 0) return false;
    page[bit >> 3]! &= ~mask;
    this.count--;
    return true;
  }

  /** The chunks in ascending order. */
  *[Symbol.iterator](): IterableIterator<number> {
    for (const index of [...this.pages.keys()].sort((a, b) => a - b)) {
      const page = this.pages.get(index)!;
      for (let byte = 0; byte < page.length; byte++) {
        const v = page[byte]!;
        if (v === 0) continue;
        for (let b = 0; b < 8; b++) if (v & (1 << b)) yield index * PAGE_CHUNKS + byte * 8 + b;
      }
    }
  }
}
