/**
 * The point-in-time image a delta pass copies: its chunks as they were when it started,
 * while host writes go on. A host write to a chunk the pass has not read yet first copies
 * the chunk's old contents to a scratch device (copy-on-write); the pass reads preserved
 * chunks from there and the rest from the live image. The scratch holds nothing durable:
 * after a crash the delta table still marks every chunk and the pass starts over. The
 * allocation of the pass's chunks is answered at the same point in time (see mapped()).
 */
import { join } from 'node:path';
import { allocationMapOf, type BlockDevice } from '../block/device.js';
import { FileBlockStore } from '../block/file-store.js';
import { nodeFiles, type DurableFiles } from '../block/durable-file.js';
import { AllocationCursor } from './allocation-cursor.js';
import { ChunkSet } from './chunk-set.js';
import { IntMap } from '../util/int-map.js';
import { firstUnit, lastUnit } from '../util/unit-span.js';

export const SNAPSHOT_FILE = 'snapshot.cow';

export class PassSnapshot {
  /** Chunks of the pass neither read by it nor preserved nor released yet. */
  private readonly pending: ChunkSet;
  private readonly reading = new IntMap<Promise<void>>();
  /** Chunks whose old contents are (being) copied to the scratch; never rejects. */
  private readonly preserved = new IntMap<Promise<void>>();
  /** Preserved chunks that held no data (nothing was copied: the scratch reads zeroes there). */
  private readonly holes = new ChunkSet();
  private failure: Error | undefined;
  /** The live image's allocation, walked forward by mapped(). */
  private readonly allocation: AllocationCursor;
  /** Chunks copied before a host write, for figures and tests. */
  preservedChunks = 0;

  constructor(
    private readonly local: BlockDevice,
    private readonly scratch: BlockDevice,
    private readonly chunkSize: number,
    chunks: Iterable<number>,
    private readonly files: DurableFiles = nodeFiles,
  ) {
    this.pending = ChunkSet.of(chunks);
    // A store that cannot answer is taken as allocated everywhere: the pass then moves what it always moved.
    this.allocation = new AllocationCursor((offset, maxLength) => allocationMapOf(local, offset, maxLength).catch(() => undefined), local.size);
  }

  /** A sparse scratch file beside the LUN, as large as the volume; a leftover one is discarded. */
  static async openScratch(metaDir: string, size: number, files: DurableFiles = nodeFiles): Promise<BlockDevice> {
    const path = join(metaDir, SNAPSHOT_FILE);
    await files.unlink(path).catch(() => undefined);
    return files.openScratch ? files.openScratch(path, size) : FileBlockStore.open({ path, size });
  }

  /**
   * Called before a host write or discard of [offset, offset+length) touches the live
   * image; the change may proceed once the returned promise resolves (undefined: at once).
   * It never rejects: a chunk that cannot be preserved fails the pass, not the host write.
   */
  beforeWrite(offset: number, length: number): Promise<void> | undefined {
    const waits: Promise<void>[] = [];
    for (let c = firstUnit(offset, this.chunkSize), last = lastUnit(offset, length, this.chunkSize); c <= last; c++) {
      if (this.pending.delete(c)) {
        const copy = this.preserve(c);
        this.preserved.set(c, copy);
        waits.push(copy);
        continue;
      }
      const busy = this.reading.get(c) ?? this.preserved.get(c);
      if (busy) waits.push(busy);
    }
    return waits.length === 0 ? undefined : Promise.all(waits).then(() => undefined);
  }

  /**
   * Whether each of `chunks` (of the pass, not read yet, ascending) held any data when the
   * pass started. A chunk no host change has touched is asked of the live image; the answer
   * stands if the chunk is still untouched once it has arrived, since a change preserves the
   * chunk (recording whether it held data) before it alters the image. Otherwise the answer
   * recorded at preservation counts.
   */
  async mapped(chunks: readonly number[]): Promise<boolean[]> {
    const live = await this.allocation.mappedChunks(chunks, this.chunkSize);
    const out: boolean[] = [];
    for (let i = 0; i < chunks.length; i++) {
      const c = chunks[i]!;
      if (this.pending.has(c)) {
        out.push(live[i] ?? true);
        continue;
      }
      const copy = this.preserved.get(c);
      if (!copy) throw new RangeError(`chunk ${c} is not part of this pass, or was read already`);
      await copy;
      if (this.failure) throw this.failure;
      out.push(!this.holes.has(c));
    }
    return out;
  }

  /**
   * Whether none of the chunks [first, first + count) held data when the pass started: all
   * untouched by host changes (checked again once the live image has answered, as in
   * mapped()), and the live image holds nothing there.
   */
  async emptySpan(first: number, count: number): Promise<boolean> {
    if (!this.pending.hasRun(first, count)) return false;
    const empty = await this.allocation.emptyOver(first * this.chunkSize, (first + count) * this.chunkSize);
    return empty && this.pending.hasRun(first, count);
  }

  /** The pass will not read chunks [first, first + count) (nothing of them moves): later host changes to them need not be preserved. */
  release(first: number, count: number): void {
    this.pending.deleteRun(first, count);
  }

  /**
   * The pass's view of the consecutive chunks from `first` (each one of the pass's, not read
   * yet), into `buf`, which spans them. Chunks still as they were are read from the live
   * image together, in one read per run (a large one leaves the event loop).
   */
  async read(first: number, buf: Buffer): Promise<void> {
    const cs = this.chunkSize;
    const count = Math.ceil(buf.length / cs);
    const reads: Promise<void>[] = [];
    for (let i = 0; i < count; ) {
      if (!this.pending.has(first + i)) {
        reads.push(this.readPreserved(first + i, buf.subarray(i * cs, (i + 1) * cs)));
        i++;
        continue;
      }
      let end = i + 1;
      while (end < count && this.pending.has(first + end)) end++;
      reads.push(this.readLive(first + i, end - i, buf.subarray(i * cs, end * cs)));
      i = end;
    }
    await Promise.all(reads);
  }

  /** Chunks no host change has touched, from the live image; host writes to them wait for the read rather than preserve them. */
  private async readLive(first: number, count: number, buf: Buffer): Promise<void> {
    this.pending.deleteRun(first, count);
    const reading = this.local.read(buf, first * this.chunkSize);
    const settled = reading.then(
      () => undefined,
      () => undefined,
    );
    for (let c = first; c < first + count; c++) this.reading.set(c, settled);
    try {
      await reading;
    } finally {
      for (let c = first; c < first + count; c++) this.reading.delete(c);
    }
  }

  private async readPreserved(chunk: number, buf: Buffer): Promise<void> {
    const copy = this.preserved.get(chunk);
    if (!copy) throw new RangeError(`chunk ${chunk} is not part of this pass`);
    await copy;
    if (this.failure) throw this.failure;
    if (this.holes.has(chunk)) buf.fill(0);
    else await this.scratch.read(buf, chunk * this.chunkSize);
  }

  /** Closes a scratch and removes its file: nothing in it outlives its pass. */
  static async closeScratch(scratch: BlockDevice, files: DurableFiles = nodeFiles): Promise<void> {
    await scratch.close();
    await files.unlink(scratch.path).catch(() => undefined);
  }

  /** Waits for copies in progress, then drops the scratch. */
  async close(): Promise<void> {
    await Promise.all([...this.preserved.values(), ...this.reading.values()]);
    await PassSnapshot.closeScratch(this.scratch, this.files);
  }

  private async preserve(chunk: number): Promise<void> {
    const offset = chunk * this.chunkSize;
    const length = Math.min(this.chunkSize, this.local.size - offset);
    try {
      // A chunk that holds nothing needs no copy: read() answers zeroes for it.
      const probe = await this.local.allocation(offset, length).catch(() => undefined);
      if (probe && !probe.mapped && probe.length >= length) {
        this.holes.add(chunk);
        this.preservedChunks++;
        return;
      }
      const old = Buffer.allocUnsafe(length);
      await this.local.read(old, offset);
      await this.scratch.write(old, offset);
      this.preservedChunks++;
    } catch (e) {
      this.failure ??= new Error(`copy-on-write of chunk ${chunk} failed: ${(e as Error).message}`, { cause: e });
    }
  }
}
