/**
 * The point-in-time image a delta pass copies: its chunks as they were when it started,
 * while host writes go on. A host write to a chunk the pass has not read yet first copies
 * the chunk's old contents to a scratch device (copy-on-write); the pass reads preserved
 * chunks from there and the rest from the live image. The scratch holds nothing durable:
 * after a crash the delta table still marks every chunk and the pass starts over.
 */
import { join } from 'node:path';
import type { BlockDevice } from '../block/device.js';
import { FileBlockStore } from '../block/file-store.js';
import { nodeFiles, type DurableFiles } from '../block/durable-file.js';

export const SNAPSHOT_FILE = 'snapshot.cow';

export class PassSnapshot {
  /** Chunks of the pass neither read by it nor preserved yet. */
  private readonly pending: Set<number>;
  private readonly reading = new Map<number, Promise<void>>();
  /** Chunks whose old contents are (being) copied to the scratch; never rejects. */
  private readonly preserved = new Map<number, Promise<void>>();
  private failure: Error | undefined;
  /** Chunks copied before a host write, for figures and tests. */
  preservedChunks = 0;

  constructor(
    private readonly local: BlockDevice,
    private readonly scratch: BlockDevice,
    private readonly chunkSize: number,
    chunks: readonly number[],
    private readonly files: DurableFiles = nodeFiles,
  ) {
    this.pending = new Set(chunks);
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
    const first = Math.floor(offset / this.chunkSize);
    const last = Math.floor((offset + Math.max(length, 1) - 1) / this.chunkSize);
    for (let c = first; c <= last; c++) {
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

  /** The pass's view of `chunk` (which must be one of its chunks), into `buf`. */
  async read(chunk: number, buf: Buffer): Promise<void> {
    const offset = chunk * this.chunkSize;
    if (this.pending.delete(chunk)) {
      // Host writes to the chunk wait for this read rather than preserve it.
      const reading = this.local.read(buf, offset);
      const settled = reading.then(
        () => undefined,
        () => undefined,
      );
      this.reading.set(chunk, settled);
      try {
        await reading;
      } finally {
        this.reading.delete(chunk);
      }
      return;
    }
    const copy = this.preserved.get(chunk);
    if (!copy) throw new RangeError(`chunk ${chunk} is not part of this pass`);
    await copy;
    if (this.failure) throw this.failure;
    await this.scratch.read(buf, offset);
  }

  /** Waits for copies in progress, then drops the scratch. */
  async close(): Promise<void> {
    await Promise.all([...this.preserved.values(), ...this.reading.values()]);
    await this.scratch.close();
    await this.files.unlink(this.scratch.path).catch(() => undefined);
  }

  private async preserve(chunk: number): Promise<void> {
    const offset = chunk * this.chunkSize;
    const length = Math.min(this.chunkSize, this.local.size - offset);
    try {
      const old = Buffer.allocUnsafe(length);
      await this.local.read(old, offset);
      await this.scratch.write(old, offset);
      this.preservedChunks++;
    } catch (e) {
      this.failure ??= new Error(`copy-on-write of chunk ${chunk} failed: ${(e as Error).message}`, { cause: e });
    }
  }
}
