import { IntMap } from '../util/int-map.js';
import { firstUnit, lastUnit } from '../util/unit-span.js';

/**
 * The redundancy of the staging journal: bytes continuous mirroring would still send
 * (every pending entry) over bytes one delta pass would send (distinct chunks those
 * entries touch × chunk size). Updated per append and trim in O(chunks touched).
 */
export class RedundancyTracker {
  private readonly perChunk = new IntMap<number>();
  private pendingBytes = 0;

  constructor(private readonly chunkSize: number) {}

  // Loops, not a callback per chunk: add and remove run for every host write.
  add(offset: number, length: number): void {
    this.pendingBytes += length;
    for (let c = firstUnit(offset, this.chunkSize), last = lastUnit(offset, length, this.chunkSize); c <= last; c++) this.perChunk.set(c, (this.perChunk.get(c) ?? 0) + 1);
  }

  remove(offset: number, length: number): void {
    this.pendingBytes -= length;
    for (let c = firstUnit(offset, this.chunkSize), last = lastUnit(offset, length, this.chunkSize); c <= last; c++) {
      const n = (this.perChunk.get(c) ?? 1) - 1;
      if (n > 0) this.perChunk.set(c, n);
      else this.perChunk.delete(c);
    }
  }

  clear(): void {
    this.perChunk.clear();
    this.pendingBytes = 0;
  }

  get continuousBytes(): number {
    return this.pendingBytes;
  }

  get deltaBytes(): number {
    return this.perChunk.size * this.chunkSize;
  }

  /** 0 when the journal is empty. */
  get ratio(): number {
    return this.perChunk.size === 0 ? 0 : this.pendingBytes / this.deltaBytes;
  }
}
