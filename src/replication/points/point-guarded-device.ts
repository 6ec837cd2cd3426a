/**
 * The backup's image with its recovery points kept: a BlockDevice that calls
 * `PointStore.beforeOverwrite` before every write and discard reaches the image, and
 * passes everything else through. Whatever writes the backup's image (the replicated
 * device's write path, a staged pass's commit) can be given this instead of the store.
 */
import type { BlockDevice } from '../../block/device.js';
import type { DigestAlgorithm } from '../../block/digest.js';
import type { PointStore } from './point-store.js';

export class PointGuardedDevice implements BlockDevice {
  constructor(
    private readonly image: BlockDevice,
    private readonly points: PointStore,
  ) {}

  get size(): number {
    return this.image.size;
  }
  get readOnly(): boolean {
    return this.image.readOnly;
  }
  get canDiscard(): boolean {
    return this.image.canDiscard;
  }
  get path(): string {
    return this.image.path;
  }
  get digestAlgorithms(): readonly DigestAlgorithm[] {
    return this.image.digestAlgorithms;
  }

  read(buf: Buffer, offset: number): Promise<void> {
    return this.image.read(buf, offset);
  }

  async write(buf: Buffer, offset: number, fua?: boolean): Promise<void> {
    const preserving = this.points.beforeOverwrite(offset, buf.length);
    if (preserving) await preserving;
    await this.image.write(buf, offset, fua);
  }

  async discard(offset: number, length: number): Promise<void> {
    const preserving = this.points.beforeOverwrite(offset, length);
    if (preserving) await preserving;
    await this.image.discard(offset, length);
  }

  flush(): Promise<void> {
    return this.image.flush();
  }

  allocation(offset: number, maxLength: number): Promise<{ mapped: boolean; length: number }> {
    return this.image.allocation(offset, maxLength);
  }

  sha256(offset: number, length: number): Promise<Buffer> {
    return this.image.sha256(offset, length);
  }

  digestExtents(extents: Float64Array, algorithm: DigestAlgorithm): Promise<Buffer> {
    return this.image.digestExtents(extents, algorithm);
  }

  /** Closes the image only: the point store is closed by its owner. */
  close(): Promise<void> {
    return this.image.close();
  }
}
