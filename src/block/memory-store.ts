/**
 * An in-memory BlockDevice for tests of the layers above. Storage is a sparse map
 * of 64 KiB chunks, so discard and allocation behave like a sparse file: a chunk
 * exists once written, and disappears only when a discard covers all of it.
 */
import type { BlockDevice } from './device.js';
import { DIGEST_ALGORITHMS, digestLength, digestParts, type DigestAlgorithm } from './digest.js';
import { blockError, checkRange, refuseDigestRequest } from './errors.js';

export const MEMORY_CHUNK_SIZE = 64 * 1024;
/** Stands in for unwritten chunks when hashing: holes read as zeroes. */
const ZERO_CHUNK = Buffer.alloc(MEMORY_CHUNK_SIZE);

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

  get digestAlgorithms(): readonly DigestAlgorithm[] {
    return DIGEST_ALGORITHMS;
  }

  async sha256(offset: number, length: number): Promise<Buffer> {
    this.check(offset, length, false);
    return digestParts('sha256', this.views(offset, length));
  }

  /** Hashed by the addon, as FileBlockStore's are, straight from the chunks (no copy of the data). */
  async digestExtents(extents: Float64Array, algorithm: DigestAlgorithm): Promise<Buffer> {
    // `check` throws on the first extent it refuses, before any is hashed.
    const refused = refuseDigestRequest(extents, algorithm, this.digestAlgorithms, this.path, (offset, length) => (this.check(offset, length, false), null));
    if (refused) throw refused;
    const size = digestLength(algorithm);
    const out = Buffer.allocUnsafe((extents.length / 2) * size);
    for (let i = 0; i < extents.length; i += 2) digestParts(algorithm, this.views(extents[i]!, extents[i + 1]!), out, (i / 2) * size);
    return out;
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  /** The bytes of [offset, offset + length) as views of the chunks (zeroes for holes), in order. */
  private views(offset: number, length: number): Buffer[] {
    const out: Buffer[] = [];
    for (let done = 0; done < length; ) {
      const at = offset + done;
      const index = Math.floor(at / MEMORY_CHUNK_SIZE);
      const within = at - index * MEMORY_CHUNK_SIZE;
      const take = Math.min(MEMORY_CHUNK_SIZE - within, length - done);
      out.push((this.chunks.get(index) ?? ZERO_CHUNK).subarray(within, within + take));
      done += take;
    }
    return out;
  }

  private check(offset: number, length: number, writes: boolean): void {
    if (this.closed) throw blockError('EBADF', `store closed (${this.path})`);
    if (writes && this.readOnly) throw blockError('EROFS', `store is read-only (${this.path})`);
    const bad = checkRange(offset, length, this.size, this.path);
    if (bad) throw bad;
  }

  private copyOut(buf: Buffer, offset: number): void {
    let done = 0;
    for (const view of this.views(offset, buf.length)) done += view.copy(buf, done);
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
