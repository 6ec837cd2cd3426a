/**
 * One bit per copy-on-write unit, kept in memory in pages of 512 bytes (4096 units, one
 * disk sector of the map file) that exist only once a bit in them is set: a point that holds
 * a few scattered units costs a few pages, and no bitmap ever costs more than
 * ceil(units / 8) bytes of pages (the last page is cut to the bits it covers). Bit `u` is
 * bit `u & 7` (least significant first) of byte `u >> 3`, in memory and on disk alike.
 */
import { allZero } from './block-io.js';

export const BITMAP_PAGE_BYTES = 512;
const PAGE_BITS = BITMAP_PAGE_BYTES * 8;

export class SparseBitmap {
  private readonly pages: Array<Uint8Array | undefined>;
  private set_ = 0;
  private allocated = 0;

  constructor(readonly size: number) {
    if (!Number.isSafeInteger(size) || size < 0) throw new RangeError(`bitmap size ${size}`);
    this.pages = new Array<Uint8Array | undefined>(Math.ceil(size / PAGE_BITS)).fill(undefined);
  }

  /** A bitmap of `size` bits from their packed bytes (pages of zeroes are not kept). */
  static fromBytes(size: number, bytes: Uint8Array): SparseBitmap {
    const b = new SparseBitmap(size);
    for (let p = 0; p < b.pages.length; p++) {
      const from = p * BITMAP_PAGE_BYTES;
      const page = bytes.subarray(from, Math.min(from + b.pageBytes(p), bytes.length));
      if (allZero(Buffer.from(page.buffer, page.byteOffset, page.byteLength))) continue;
      const copy = new Uint8Array(b.pageBytes(p));
      copy.set(page);
      // Bits past `size` in the last byte mean nothing: drop them.
      if (p === b.pages.length - 1 && size % 8 !== 0) copy[copy.length - 1]! &= (1 << (size % 8)) - 1;
      b.pages[p] = copy;
      b.allocated += copy.length;
      for (const byte of copy) b.set_ += popcount(byte);
    }
    return b;
  }

  /** Bits set. */
  get count(): number {
    return this.set_;
  }

  /** Bytes of pages held in memory: at most ceil(size / 8). */
  get byteLength(): number {
    return this.allocated;
  }

  get pageCount(): number {
    return this.pages.length;
  }

  has(i: number): boolean {
    const page = this.pages[Math.floor(i / PAGE_BITS)];
    if (!page) return false;
    const bit = i % PAGE_BITS;
    return (page[bit >> 3]! & (1 << (bit & 7))) !== 0;
  }

  set(i: number): void {
    if (i < 0 || i >= this.size) throw new RangeError(`bit ${i} outside a bitmap of ${this.size}`);
    const p = Math.floor(i / PAGE_BITS);
    let page = this.pages[p];
    if (!page) {
      page = new Uint8Array(this.pageBytes(p));
      this.pages[p] = page;
      this.allocated += page.length;
    }
    const bit = i % PAGE_BITS;
    const mask = 1 << (bit & 7);
    if ((page[bit >> 3]! & mask) === 0) {
      page[bit >> 3]! |= mask;
      this.set_++;
    }
  }

  setRun(first: number, count: number): void {
    for (let i = first; i < first + count; i++) this.set(i);
  }

  /** The first set bit at or after `from` and before `end`, or -1. */
  nextSet(from: number, end = this.size): number {
    end = Math.min(end, this.size);
    for (let i = Math.max(0, from); i < end; ) {
      const p = Math.floor(i / PAGE_BITS);
      const page = this.pages[p];
      if (!page) {
        i = (p + 1) * PAGE_BITS;
        continue;
      }
      const bit = i % PAGE_BITS;
      const byte = page[bit >> 3]! >> (bit & 7);
      if (byte === 0) {
        i += 8 - (bit & 7);
        continue;
      }
      const found = i + ctz(byte);
      return found < end ? found : -1;
    }
    return -1;
  }

  /** The first clear bit at or after `from` and before `end`, or -1. */
  nextClear(from: number, end = this.size): number {
    end = Math.min(end, this.size);
    for (let i = Math.max(0, from); i < end; ) {
      const p = Math.floor(i / PAGE_BITS);
      const page = this.pages[p];
      if (!page) return i;
      const bit = i % PAGE_BITS;
      const byte = (~page[bit >> 3]! & 0xff) >> (bit & 7);
      if (byte === 0) {
        i += 8 - (bit & 7);
        continue;
      }
      const found = i + ctz(byte);
      return found < end ? found : -1;
    }
    return -1;
  }

  /** Runs [first, first + count) of set bits within [from, end), in order. */
  *runs(from = 0, end = this.size): Generator<[number, number]> {
    for (let i = this.nextSet(from, end); i >= 0; ) {
      const clear = this.nextClear(i, end);
      const stop = clear < 0 ? Math.min(end, this.size) : clear;
      yield [i, stop - i];
      i = this.nextSet(stop, end);
    }
  }

  /** Runs [first, first + count) of clear bits within [from, end), in order. */
  *clearRuns(from = 0, end = this.size): Generator<[number, number]> {
    end = Math.min(end, this.size);
    for (let i = this.nextClear(from, end); i >= 0; ) {
      const set = this.nextSet(i, end);
      const stop = set < 0 ? end : set;
      yield [i, stop - i];
      i = set < 0 ? -1 : this.nextClear(stop, end);
    }
  }

  /** Page `p` as stored (undefined: all zeroes). Do not modify. */
  page(p: number): Uint8Array | undefined {
    return this.pages[p];
  }

  /** Bytes of page `p` (the last one may be shorter). */
  pageBytes(p: number): number {
    return Math.min(BITMAP_PAGE_BYTES, Math.ceil(this.size / 8) - p * BITMAP_PAGE_BYTES);
  }
}

function popcount(byte: number): number {
  let n = 0;
  for (let b = byte; b !== 0; b &= b - 1) n++;
  return n;
}

/** Trailing zeroes of a non-zero byte. */
function ctz(byte: number): number {
  let n = 0;
  while ((byte & 1) === 0) {
    byte >>= 1;
    n++;
  }
  return n;
}
