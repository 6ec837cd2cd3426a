/**
 * A set of chunk numbers kept as bits in pages allocated on first use: a pass over every
 * chunk of a 64 GiB volume (1 Mi chunks of 64 KiB) costs 128 KiB rather than a hash set
 * of a million entries, and a pass over a few chunks of a huge volume costs a few pages.
 * Bit c of the set is bit c & 7 of byte c >> 3, as in the delta table's bitmap, so a set
 * is made from a bitmap (and a run of chunks cleared) a page or a byte at a time.
 */

/** Chunks per page: 4 KiB of bits. */
const PAGE_CHUNKS = 4096 * 8;
const PAGE_BYTES = PAGE_CHUNKS / 8;

export class ChunkSet {
  private readonly pages = new Map<number, Uint8Array>();
  private count = 0;
  /** The page looked up last (pages are never removed): a pass asks about chunks in ascending order. */
  private lastIndex = -1;
  private lastPage: Uint8Array | undefined;

  /** A set of `chunks`; a ChunkSet is copied page by page. */
  static of(chunks: Iterable<number>): ChunkSet {
    if (chunks instanceof ChunkSet) return chunks.clone();
    const set = new ChunkSet();
    for (const c of chunks) set.add(c);
    return set;
  }

  /** The chunks below `count` whose bit is set in `bits` (chunk c: bit c & 7 of byte c >> 3). */
  static fromBits(bits: Uint8Array, count: number): ChunkSet {
    const set = new ChunkSet();
    const bytes = Math.min(bits.length, Math.ceil(count / 8));
    for (let start = 0; start < bytes; start += PAGE_BYTES) {
      const page = new Uint8Array(PAGE_BYTES);
      page.set(bits.subarray(start, Math.min(bytes, start + PAGE_BYTES)));
      // Bits past `count` in its last byte are not chunks.
      const tail = start + PAGE_BYTES >= bytes ? count - (bytes - 1) * 8 : 8;
      if (tail < 8) page[bytes - 1 - start]! &= (1 << tail) - 1;
      const n = bitsIn(page);
      if (n === 0) continue;
      set.pages.set(start / PAGE_BYTES, page);
      set.count += n;
    }
    return set;
  }

  get size(): number {
    return this.count;
  }

  clone(): ChunkSet {
    const copy = new ChunkSet();
    for (const [index, page] of this.pages) copy.pages.set(index, Uint8Array.from(page));
    copy.count = this.count;
    return copy;
  }

  has(chunk: number): boolean {
    const page = this.pageAt(Math.floor(chunk / PAGE_CHUNKS));
    if (!page) return false;
    const bit = chunk % PAGE_CHUNKS;
    return (page[bit >> 3]! & (1 << (bit & 7))) !== 0;
  }

  /** Adds `chunk`; true when it was not in the set. */
  add(chunk: number): boolean {
    if (!Number.isSafeInteger(chunk) || chunk < 0) throw new RangeError(`chunk ${chunk} out of range`);
    const index = Math.floor(chunk / PAGE_CHUNKS);
    let page = this.pageAt(index);
    if (!page) {
      this.pages.set(index, (page = new Uint8Array(PAGE_BYTES)));
      this.lastIndex = -1;
    }
    const bit = chunk % PAGE_CHUNKS;
    const mask = 1 << (bit & 7);
    if (page[bit >> 3]! & mask) return false;
    page[bit >> 3]! |= mask;
    this.count++;
    return true;
  }

  /** Removes `chunk`; true when it was in the set. */
  delete(chunk: number): boolean {
    const page = this.pageAt(Math.floor(chunk / PAGE_CHUNKS));
    if (!page) return false;
    const bit = chunk % PAGE_CHUNKS;
    const mask = 1 << (bit & 7);
    if ((page[bit >> 3]! & mask) === 0) return false;
    page[bit >> 3]! &= ~mask;
    this.count--;
    return true;
  }

  /** Whether every chunk of [first, first + count) is in the set. */
  hasRun(first: number, count: number): boolean {
    return this.eachByteOfRun(first, count, (page, byte, mask) => page !== undefined && (page[byte]! & mask) === mask);
  }

  /** Removes the chunks [first, first + count), whole bytes at a time (a first sync skips runs of a million). */
  deleteRun(first: number, count: number): void {
    this.eachByteOfRun(first, count, (page, byte, mask) => {
      const held = page ? page[byte]! & mask : 0;
      if (held !== 0) {
        page![byte]! &= ~mask;
        this.count -= bitsInByte(held);
      }
      return true;
    });
  }

  /**
   * Visits the bytes of bits holding [first, first + count): the page (if any), the byte in
   * it and the mask of the run's bits there; stops, returning false, when `visit` does.
   */
  private eachByteOfRun(first: number, count: number, visit: (page: Uint8Array | undefined, byte: number, mask: number) => boolean): boolean {
    for (let c = first, end = first + count; c < end; ) {
      const index = Math.floor(c / PAGE_CHUNKS);
      const page = this.pageAt(index);
      const stop = Math.min(end, (index + 1) * PAGE_CHUNKS) - index * PAGE_CHUNKS;
      for (let bit = c - index * PAGE_CHUNKS; bit < stop; ) {
        const inByte = Math.min(8 - (bit & 7), stop - bit);
        if (!visit(page, bit >> 3, ((1 << inByte) - 1) << (bit & 7))) return false;
        bit += inByte;
      }
      c = index * PAGE_CHUNKS + stop;
    }
    return true;
  }

  /**
   * Each page holding chunks, ascending: its first chunk and its bits (bit i is chunk
   * first + i). The bits are the set's own: read them, do not keep or change them.
   */
  forEachPage(fn: (first: number, bits: Uint8Array) => void): void {
    for (const index of [...this.pages.keys()].sort((a, b) => a - b)) fn(index * PAGE_CHUNKS, this.pages.get(index)!);
  }

  /** The bits of the page starting at chunk `first` (a multiple of the page size, as forEachPage gives), if any. */
  pageBits(first: number): Uint8Array | undefined {
    return this.pages.get(first / PAGE_CHUNKS);
  }

  private pageAt(index: number): Uint8Array | undefined {
    if (index !== this.lastIndex) {
      this.lastPage = this.pages.get(index);
      this.lastIndex = index;
    }
    return this.lastPage;
  }

  /** The chunks in ascending order, in an array. */
  toArray(): number[] {
    const out: number[] = [];
    this.forEachPage((first, page) => pushChunks(out, first, page));
    return out;
  }

  /**
   * The chunks in ascending order, at most `size` at a time, each array made when asked for:
   * a first sync of a 4 TiB volume marks 64 Mi chunks, whose one array took a gigabyte.
   * The set must not change meanwhile (a pass's set does not).
   */
  *windows(size: number): Generator<number[]> {
    let out: number[] = [];
    for (const index of [...this.pages.keys()].sort((a, b) => a - b)) {
      const page = this.pages.get(index)!;
      // A page at a time: at most a page's chunks wait in `out`.
      pushChunks(out, index * PAGE_CHUNKS, page);
      let at = 0;
      for (; out.length - at >= size; at += size) yield out.slice(at, at + size);
      out = out.slice(at);
    }
    if (out.length > 0) yield out;
  }

  /** The chunks in ascending order, as they are now: a caller may change the set while it iterates. */
  [Symbol.iterator](): IterableIterator<number> {
    return this.toArray()[Symbol.iterator]();
  }
}

/** Appends the chunks whose bits are set in `page` (bit i: chunk first + i), ascending. */
function pushChunks(out: number[], first: number, page: Uint8Array): void {
  for (let byte = 0; byte < page.length; byte++) {
    const v = page[byte]!;
    if (v === 0) continue;
    const base = first + byte * 8;
    if (v === 0xff) out.push(base, base + 1, base + 2, base + 3, base + 4, base + 5, base + 6, base + 7);
    else for (let b = 0; b < 8; b++) if (v & (1 << b)) out.push(base + b);
  }
}

/** Set bits in `byte` (0-255). */
export function bitsInByte(byte: number): number {
  let v = byte - ((byte >> 1) & 0x55);
  v = (v & 0x33) + ((v >> 2) & 0x33);
  return (v + (v >> 4)) & 0x0f;
}

function bitsIn(bytes: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < bytes.length; i++) if (bytes[i] !== 0) n += bitsInByte(bytes[i]!);
  return n;
}
