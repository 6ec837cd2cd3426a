/**
 * The LUN's image as the engine writes it when the node keeps recovery points: every write
 * or discard first lets the point store preserve what the newest point needs (copy-on-write,
 * durable before the image changes). Reads and everything else pass through. Without a
 * point, or once a unit is preserved, a write costs nothing more.
 */
import { allocationMapOf, type AllocationExtent, type BlockDevice } from '../../block/device.js';
import type { DigestAlgorithm } from '../../block/digest.js';
import type { BufferHold } from '../../util/buffer-pool.js';
import type { PointImages } from './backup-points.js';

export class PreservingDevice implements BlockDevice {
  constructor(
    private readonly image: BlockDevice,
    private readonly points: Pick<PointImages, 'beforeOverwrite'>,
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

  // Not async: every host write passes here, mostly with nothing to preserve.
  write(buf: Buffer, offset: number, fua?: boolean, hold?: BufferHold): Promise<void> {
    const preserving = this.points.beforeOverwrite(offset, buf.length);
    if (preserving) return preserving.then(() => this.image.write(buf, offset, fua, hold));
    return this.image.write(buf, offset, fua, hold);
  }

  async discard(offset: number, length: number): Promise<void> {
    const preserving = this.points.beforeOverwrite(offset, length);
    if (preserving) await preserving;
    return this.image.discard(offset, length);
  }

  flush(): Promise<void> {
    return this.image.flush();
  }

  allocation(offset: number, maxLength: number): Promise<{ mapped: boolean; length: number }> {
    return this.image.allocation(offset, maxLength);
  }

  allocationMap(offset: number, maxLength: number, maxExtents?: number): Promise<AllocationExtent[]> {
    return allocationMapOf(this.image, offset, maxLength, maxExtents);
  }

  sha256(offset: number, length: number): Promise<Buffer> {
    return this.image.sha256(offset, length);
  }

  digestExtents(extents: Float64Array, algorithm: DigestAlgorithm): Promise<Buffer> {
    return this.image.digestExtents(extents, algorithm);
  }

  close(): Promise<void> {
    return this.image.close();
  }
}
