/**
 * An in-memory BlockDevice for tests of the layers above. Storage is a sparse map
 * of 64 KiB chunks, so discard and allocation behave like a sparse file: a chunk
 * exists once written, and disappears only when a discard covers all of it.
 */
import { createHash } from 'node:crypto';
import type { BlockDevice } from './device.js';
import { blockError, checkRange } from './errors.js';

export const MEMORY_CHUNK_SIZE = 64 * 1024;
const DIGEST_BYTES = 32;

export interface MemoryBlockStoreOptions {
  size: number;
  readOnly?: boolean;
  path?: string;
}

export class MemoryBlockStore implements BlockDevice {
  readonly size: number;
  readonly readOnly: boolean;
  readonly canDiscard: boolean;
  readonly path: string;
  private readonly chunks = new Map<number, Buffer>();
  private closed = false;
  /** Counts for assertions in upper-layer tests. */
  flushCount = 0;
  fuaWriteCount = 0;

  constructor(opts: MemoryBlockStoreOptions) {
    this.size = opts.size;
    this.readOnly = opts.readOnly ?? false;
    this.canDiscard = !this.readOnly;
    this.path = opts.path ?? 'memory';
  }

  /** Number of 64 KiB chunks currently allocated. */
  get allocatedChunks(): number {
    return this.chunks.size;
  }

  async read(buf: Buffer, offset: number): Promise<void> {
    this.check(offset, buf.length, false);
    this.copyOut(buf, offset);
  }

  async write(buf: Buffer, offset: number, fua = false): Promise<void> {
    this.check(offset, buf.length, true);
    this.copyIn(buf, offset);
    if (fua) this.fuaWriteCount++;
  }

  async flush(): Promise<void> {
    this.check(0, 0, false);
    this.flushCount++;
  }

  async discard(offset: number, length: number): Promise<void> {
    this.check(offset, length, true);
    const end = offset + length;
    while (offset < end) {
      const index = Math.floor(offset / MEMORY_CHUNK_SIZE);
      const within = offset - index * MEMORY_CHUNK_SIZE;
      const take = Math.min(MEMORY_CHUNK_SIZE - within, end - offset);
      if (take === MEMORY_CHUNK_SIZE) this.chunks.delete(index);
      else this.chunks.get(index)?.fill(0, within, within + take);
      offset += take;
    }
  }

  async allocation(offset: number, maxLength: number): Promise<{ mapped: boolean; length: number }> {
    this.check(offset, 0, false);
    if (offset >= this.size) throw blockError('EINVAL', `offset ${offset} at or beyond end of device (${this.path})`);
    const limit = Math.min(offset + maxLength, this.size);
    let index = Math.floor(offset / MEMORY_CHUNK_SIZE);
    const mapped = this.chunks.has(index);
    let end = (index + 1) * MEMORY_CHUNK_SIZE;
    while (end < limit && this.chunks.has(++index) === mapped) end += MEMORY_CHUNK_SIZE;
    return { mapped, length: Math.min(end, limit) - offset };
  }

  async sha256(offset: number, length: number): Promise<Buffer> {
    this.check(offset, length, false);
    return this.digestRange(offset, length);
  }

  async digestExtents(extents: Float64Array): Promise<Buffer> {
    if (extents.length % 2 !== 0) throw blockError('EINVAL', 'extents must be (offset, length) pairs');
    // Every extent is checked before any is hashed, as FileBlockStore does.
    for (let i = 0; i < extents.length; i += 2) this.check(extents[i]!, extents[i + 1]!, false);
    const out = Buffer.allocUnsafe((extents.length / 2) * DIGEST_BYTES);
    for (let i = 0; i < extents.length; i += 2) this.digestRange(extents[i]!, extents[i + 1]!).copy(out, (i / 2) * DIGEST_BYTES);
    return out;
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private digestRange(offset: number, length: number): Buffer {
    const hash = createHash('sha256');
    const piece = Buffer.allocUnsafe(Math.min(length, MEMORY_CHUNK_SIZE));
    for (let done = 0; done < length; done += piece.length) {
      const view = piece.subarray(0, Math.min(piece.length, length - done));
      this.copyOut(view, offset + done);
      hash.update(view);
    }
    return hash.digest();
  }

  private check(offset: number, length: number, writes: boolean): void {
    if (this.closed) throw blockError('EBADF', `store closed (${this.path})`);
    if (writes && this.readOnly) throw blockError('EROFS', `store is read-only (${this.path})`);
    const bad = checkRange(offset, length, this.size, this.path);
    if (bad) throw bad;
  }

  private copyOut(buf: Buffer, offset: number): void {
    for (let done = 0; done < buf.length; ) {
      const at = offset + done;
      const index = Math.floor(at / MEMORY_CHUNK_SIZE);
      const within = at - index * MEMORY_CHUNK_SIZE;
      const take = Math.min(MEMORY_CHUNK_SIZE - within, buf.length - done);
      const chunk = this.chunks.get(index);
      if (chunk) chunk.copy(buf, done, within, within + take);
      else buf.fill(0, done, done + take);
      done += take;
    }
  }

  private copyIn(buf: Buffer, offset: number): void {
    for (let done = 0; done < buf.length; ) {
      const at = offset + done;
      const index = Math.floor(at / MEMORY_CHUNK_SIZE);
      const within = at - index * MEMORY_CHUNK_SIZE;
      const take = Math.min(MEMORY_CHUNK_SIZE - within, buf.length - done);
      let chunk = this.chunks.get(index);
      if (!chunk) this.chunks.set(index, (chunk = Buffer.alloc(MEMORY_CHUNK_SIZE)));
      buf.copy(chunk, within, done, done + take);
      done += take;
    }
  }
}
