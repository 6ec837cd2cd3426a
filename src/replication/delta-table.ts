/**
 * The delta table: one bit per chunk (default 64 KiB) of the volume, persisted in
 * `delta.bitmap` (64-byte header, then the bits). A chunk's bit is durable before the
 * activity-log extent covering the write may cool (the log covers it until then, as
 * DRBD's activity log covers its bitmap), or before the write is acknowledged when mark()
 * is used. Clears reach the disk lazily (persistAll), only after the backup holds the
 * chunk durably and the local image has been flushed (`flushImage`): until then a power
 * loss could take from the primary what the backup already holds. A crash may therefore
 * over-mark, never under-mark. Setting already-persisted bits costs nothing.
 */
import { join } from 'node:path';
import { nodeFiles, type DurableFile, type DurableFiles } from '../block/durable-file.js';
import { bitsInByte, ChunkSet } from './chunk-set.js';
import { firstUnit, lastUnit } from '../util/unit-span.js';

export const DELTA_FILE = 'delta.bitmap';
export const DEFAULT_CHUNK_SIZE = 64 * 1024;
const HEADER_BYTES = 64;
const MAGIC = 0x54444231; // "TDB1"
/** Bitmap bytes written per page: 4 KiB of bits covers 2 GiB at 64 KiB chunks. */
const PAGE_BYTES = 4096;

export interface DeltaTableOptions {
  dir: string;
  volumeSize: number;
  chunkSize?: number;
  /** Makes the local image durable; clears are persisted only after it (absent: clears need no flush). */
  flushImage?: () => Promise<void>;
  /** Where the file lives (default: node:fs; tests pass one that forgets at a power loss). */
  files?: DurableFiles;
}

export class DeltaTable {
  readonly chunkCount: number;
  private readonly bits: Uint8Array;
  /** What the file holds durably (as far as this process knows). */
  private readonly onDisk: Uint8Array;
  private dirtyPages = new Set<number>();
  private persisting: Promise<void> | undefined;
  private persistAgain = false;
  /** persistAll asked for clears to reach the file (after an image flush). */
  private clearsWanted = false;
  /** Bits were cleared (by a pass, durable or only noted) that no image flush has covered yet. */
  private clearedUnflushed = false;
  private marked = 0;
  /** Chunks being copied by a pass, and those written again meanwhile (bits: a pass may cover every chunk). */
  private copying = new ChunkSet();
  private remarked = new ChunkSet();

  private constructor(
    private readonly fh: DurableFile,
    readonly volumeSize: number,
    readonly chunkSize: number,
    bits: Uint8Array,
    /** The file was created (or replaced) now: earlier tracking, if any, is lost. */
    readonly fresh: boolean,
    private readonly flushImage: (() => Promise<void>) | undefined,
    /** The volume's size before it grew at this open (its marks were kept, the new part marked). */
    readonly grownFrom?: number,
  ) {
    this.chunkCount = Math.ceil(volumeSize / chunkSize);
    this.bits = bits;
    this.onDisk = Uint8Array.from(bits);
    for (let i = 0; i < this.chunkCount; i++) if (this.isMarked(i)) this.marked++;
  }

  static async open(options: DeltaTableOptions): Promise<DeltaTable> {
    const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
    if (!Number.isInteger(chunkSize) || chunkSize < 512 || (chunkSize & (chunkSize - 1)) !== 0) throw new RangeError('chunk size must be a power of two >= 512');
    const bytes = Math.ceil(Math.ceil(options.volumeSize / chunkSize) / 8);
    const path = join(options.dir, DELTA_FILE);
    const files = options.files ?? nodeFiles;
    const fh = await files.open(path, 'a+').then((h) => h.close()).then(() => files.open(path, 'r+'));
    try {
      const header = Buffer.alloc(HEADER_BYTES);
      const { bytesRead } = await fh.read(header, 0, HEADER_BYTES, 0);
      const ours = bytesRead === HEADER_BYTES && header.readUInt32BE(0) === MAGIC && header.readUInt32BE(4) === chunkSize;
      const recorded = ours ? Number(header.readBigUInt64BE(8)) : undefined;
      const matches = recorded === options.volumeSize;
      const bits = new Uint8Array(bytes);
      if (matches) {
        await fh.read(bits, 0, bytes, HEADER_BYTES);
      } else if (recorded !== undefined && recorded > 0 && recorded < options.volumeSize) {
        await growTable(fh, header, bits, recorded, options.volumeSize, chunkSize);
        return new DeltaTable(fh, options.volumeSize, chunkSize, bits, false, options.flushImage, recorded);
      } else {
        header.fill(0);
        header.writeUInt32BE(MAGIC, 0);
        header.writeUInt32BE(chunkSize, 4);
        header.writeBigUInt64BE(BigInt(options.volumeSize), 8);
        await fh.truncate(0);
        await fh.write(header, 0, HEADER_BYTES, 0);
        await fh.write(Buffer.alloc(bytes), 0, bytes, HEADER_BYTES);
        await fh.sync();
      }
      return new DeltaTable(fh, options.volumeSize, chunkSize, bits, !matches, options.flushImage);
    } catch (e) {
      await fh.close();
      throw e;
    }
  }

  get dirtyChunks(): number {
    return this.marked;
  }

  /** Bytes a delta pass would copy now. */
  get dirtyBytes(): number {
    // Counted, not walked: status asks often, and a first sync marks every chunk of the volume.
    const last = this.chunkCount - 1;
    const short = last >= 0 && this.isMarked(last) ? this.chunkSize - this.chunkLength(last) : 0;
    return this.marked * this.chunkSize - short;
  }

  chunkOf(offset: number): number {
    return Math.floor(offset / this.chunkSize);
  }

  chunkLength(chunk: number): number {
    return Math.min(this.chunkSize, this.volumeSize - chunk * this.chunkSize);
  }

  isMarked(chunk: number): boolean {
    return (this.bits[chunk >> 3]! & (1 << (chunk & 7))) !== 0;
  }

  /** Whether any chunk the byte range touches is marked. */
  marksAny(offset: number, length: number): boolean {
    for (let c = firstUnit(offset, this.chunkSize), last = lastUnit(offset, length, this.chunkSize); c <= last; c++) if (this.isMarked(c)) return true;
    return false;
  }

  markedChunks(): number[] {
    return chunksOfBits(this.bits, this.chunkCount);
  }

  /** The marked chunks as a set, copied from the bitmap a page at a time (a first sync marks a million). */
  markedSet(): ChunkSet {
    return ChunkSet.fromBits(this.bits, this.chunkCount);
  }

  /** A copy of the bitmap's bytes from `start`, at most `max` of them (the peer's READ CHANGE MAP). */
  bitmapBytes(start: number, max: number): Buffer {
    const from = Math.min(start, this.bits.length);
    return Buffer.from(this.bits.subarray(from, Math.min(this.bits.length, from + max)));
  }

  get bitmapLength(): number {
    return this.bits.length;
  }

  /** Forgets every mark, durably (a resync target adopting its source's image). */
  clearAll(): Promise<void> {
    for (let c = 0; c < this.chunkCount; c++) this.clearBit(c);
    return this.persistAll();
  }

  /**
   * Marks the chunks under [offset, offset+length). Returns a promise only when some bit
   * was not yet durable; the write may be acknowledged once it resolves.
   */
  mark(offset: number, length: number): Promise<void> | undefined {
    let needsPersist = false;
    for (let c = firstUnit(offset, this.chunkSize), last = lastUnit(offset, length, this.chunkSize); c <= last; c++) needsPersist = this.setBit(c) || needsPersist;
    return needsPersist ? this.persist() : undefined;
  }

  /**
   * Marks the chunks under [offset, offset+length) in memory only: the activity log covers
   * the write until persist() makes the marks durable (it runs before an extent leaves the log).
   */
  note(offset: number, length: number): void {
    for (let c = firstUnit(offset, this.chunkSize), last = lastUnit(offset, length, this.chunkSize); c <= last; c++) this.setBit(c);
  }

  markChunks(chunks: Iterable<number>): Promise<void> {
    for (const c of chunks) this.setBit(c);
    return this.persist();
  }

  markAll(): Promise<void> {
    for (let c = 0; c < this.chunkCount; c++) this.setBit(c);
    return this.persist();
  }

  /** A pass starts copying `chunks`: writes to them from now on re-mark them. */
  beginCopy(chunks: Iterable<number>): void {
    this.copying = ChunkSet.of(chunks);
    this.remarked = new ChunkSet();
  }

  /** The backup holds the copied chunks durably (`ok`): clear those not written since (a byte of bits at a time). */
  endCopy(ok: boolean): void {
    if (ok) {
      this.copying.forEachPage((first, copied) => {
        const again = this.remarked.pageBits(first);
        for (let i = 0, byte = first >> 3; i < copied.length && byte < this.bits.length; i++, byte++) {
          const cleared = this.bits[byte]! & copied[i]! & ~(again?.[i] ?? 0);
          if (cleared === 0) continue;
          // Even a mark only noted in memory covered a write the image may not hold durably yet.
          this.clearedUnflushed = true;
          this.bits[byte]! &= ~cleared;
          this.marked -= bitsInByte(cleared);
        }
      });
    }
    this.copying = new ChunkSet();
    this.remarked = new ChunkSet();
  }

  /** Makes lazy clears durable too (after flushing the image): writes every page that differs from the file. */
  persistAll(): Promise<void> {
    for (let page = 0; page * PAGE_BYTES < this.bits.length; page++) if (this.pageDiffers(page)) this.dirtyPages.add(page);
    this.clearsWanted = true;
    return this.persist();
  }

  /** Writes the pages holding not-yet-durable set bits (keeping bits set that are durably set), and syncs. */
  persist(): Promise<void> {
    if (this.persisting) {
      this.persistAgain = true;
      return this.persisting.then(() => (this.hasWork() ? this.persist() : undefined));
    }
    if (!this.hasWork()) return Promise.resolve();
    this.persisting = this.writePages().finally(() => {
      this.persisting = undefined;
    });
    return this.persisting;
  }

  async close(): Promise<void> {
    await this.persistAll();
    await this.fh.close();
  }

  /** Pages to write, or a pass's clears the image must be flushed for (the activity log lets an extent go after persist()). */
  private hasWork(): boolean {
    return this.dirtyPages.size > 0 || (this.clearedUnflushed && this.flushImage !== undefined);
  }

  private async writePages(): Promise<void> {
    do {
      this.persistAgain = false;
      const clears = this.clearsWanted;
      this.clearsWanted = false;
      const pages = [...this.dirtyPages];
      this.dirtyPages.clear();
      try {
        await this.writeImages(pages, clears);
      } catch (e) {
        // Not written: the next persist() must write these pages (and persistAll its clears) again.
        for (const p of pages) this.dirtyPages.add(p);
        if (clears) this.clearsWanted = true;
        throw e;
      }
    } while (this.persistAgain && this.hasWork());
  }

  private async writeImages(pages: number[], clears: boolean): Promise<void> {
    const images = pages.map((p) => {
      const start = p * PAGE_BYTES;
      const img = Buffer.from(this.bits.subarray(start, Math.min(this.bits.length, start + PAGE_BYTES)));
      // Only persistAll clears bits in the file; other writes keep what is durably set.
      if (!clears) for (let i = 0; i < img.length; i++) img[i]! |= this.onDisk[start + i]!;
      return img;
    });
    // The backup holds the cleared chunks, but the image may not hold them durably yet.
    const flush = this.flushImage !== undefined && (this.clearedUnflushed || (clears && images.some((img, i) => clearsBits(img, this.onDisk, pages[i]! * PAGE_BYTES))));
    // From now on the file may hold these images: a bit they clear is no longer durably set,
    // so a mark of that chunk meanwhile must persist again rather than count on it.
    images.forEach((img, i) => {
      for (let k = 0, at = pages[i]! * PAGE_BYTES; k < img.length; k++) this.onDisk[at + k]! &= img[k]!;
    });
    if (flush) {
      // Clears made after this flush starts need one of their own.
      this.clearedUnflushed = false;
      await this.flushImage!().catch((e: unknown) => {
        // onDisk already forgets the bits these images clear: whatever writes them next flushes first.
        this.clearedUnflushed = true;
        throw e;
      });
    }
    if (images.length === 0) return;
    await Promise.all(images.map((img, i) => this.fh.write(img, 0, img.length, HEADER_BYTES + pages[i]! * PAGE_BYTES)));
    await this.fh.datasync();
    images.forEach((img, i) => this.onDisk.set(img, pages[i]! * PAGE_BYTES));
  }

  private pageDiffers(page: number): boolean {
    const end = Math.min(this.bits.length, (page + 1) * PAGE_BYTES);
    for (let i = page * PAGE_BYTES; i < end; i++) if (this.bits[i] !== this.onDisk[i]) return true;
    return false;
  }

  /** Sets a bit; true when it is not yet durable (so the caller must persist). */
  private setBit(chunk: number): boolean {
    if (chunk < 0 || chunk >= this.chunkCount) throw new RangeError(`chunk ${chunk} out of range`);
    const byte = chunk >> 3;
    const mask = 1 << (chunk & 7);
    if (this.copying.has(chunk)) this.remarked.add(chunk);
    if ((this.bits[byte]! & mask) === 0) {
      this.bits[byte]! |= mask;
      this.marked++;
    }
    if ((this.onDisk[byte]! & mask) === 0) {
      this.dirtyPages.add(byte >> 12);
      return true;
    }
    return false;
  }

  private clearBit(chunk: number): void {
    const byte = chunk >> 3;
    const mask = 1 << (chunk & 7);
    if (this.bits[byte]! & mask) {
      this.bits[byte]! &= ~mask;
      this.marked--;
    }
  }
}

/** Chunk numbers whose bit is set (chunk c: bit c & 7 of byte c >> 3), below `count`. */
export function chunksOfBits(bits: Uint8Array, count: number): number[] {
  return ChunkSet.fromBits(bits, count).toArray();
}

/** Whether writing `img` at byte `at` of the bits clears a bit `onDisk` has set. */
function clearsBits(img: Uint8Array, onDisk: Uint8Array, at: number): boolean {
  for (let i = 0; i < img.length; i++) if (onDisk[at + i]! & ~img[i]!) return true;
  return false;
}

/**
 * The volume grew since the table was written: its marks stay, and every chunk from the
 * old end on is marked, since what the grown part holds on each node is unknown (a grown
 * block device keeps whatever was there; a pass over holes on both costs nothing). The
 * bits are durable before the header names the new size, so a crash between redoes this.
 */
async function growTable(fh: DurableFile, header: Buffer, bits: Uint8Array, oldSize: number, newSize: number, chunkSize: number): Promise<void> {
  const oldChunks = Math.ceil(oldSize / chunkSize);
  await fh.read(bits, 0, Math.ceil(oldChunks / 8), HEADER_BYTES);
  // The old last chunk, when short, grew too.
  for (let c = Math.floor(oldSize / chunkSize); c < Math.ceil(newSize / chunkSize); c++) bits[c >> 3]! |= 1 << (c & 7);
  await fh.write(bits, 0, bits.length, HEADER_BYTES);
  await fh.sync();
  header.writeBigUInt64BE(BigInt(newSize), 8);
  await fh.write(header, 0, HEADER_BYTES, 0);
  await fh.sync();
}
