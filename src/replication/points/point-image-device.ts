/**
 * A recovery point's image of a LUN as a read-only block device (`tandem point expose`):
 * reads go through the point store's chain, so they see the image as it was at the point
 * while the live image goes on changing. Writes, discards and digests are refused: a host
 * mounts it to copy files out, nothing more.
 */
import { createHash } from 'node:crypto';
import { BlockIoError, type BlockDevice } from '../../block/device.js';
import type { DigestAlgorithm } from '../../block/digest.js';

export interface PointReads {
  read(id: number, buf: Buffer, offset: number): Promise<void>;
  allocation(id: number, offset: number, maxLength: number): Promise<{ mapped: boolean; length: number }>;
}

/** Reads for a digest go in pieces this large: bounded memory whatever the range. */
const DIGEST_PIECE = 1024 * 1024;

export class PointImageDevice implements BlockDevice {
  readonly readOnly = true;
  readonly canDiscard = false;
  /** Thin all the same: hosts copying it (GET LBA STATUS) skip where the point reads zeroes. */
  readonly reportsHoles = true;
  readonly digestAlgorithms: readonly DigestAlgorithm[] = [];

  constructor(
    private readonly points: PointReads,
    readonly id: number,
    readonly size: number,
    /** Names the point (logs, the LU's derived identity). */
    readonly path: string,
  ) {}

  read(buf: Buffer, offset: number): Promise<void> {
    return this.points.read(this.id, buf, offset);
  }

  write(): Promise<void> {
    return Promise.reject(readOnlyError());
  }

  discard(): Promise<void> {
    return Promise.reject(readOnlyError());
  }

  async flush(): Promise<void> {}

  allocation(offset: number, maxLength: number): Promise<{ mapped: boolean; length: number }> {
    return this.points.allocation(this.id, offset, Math.min(maxLength, this.size - offset));
  }

  async sha256(offset: number, length: number): Promise<Buffer> {
    const hash = createHash('sha256');
    const piece = Buffer.allocUnsafe(Math.min(DIGEST_PIECE, length));
    for (let done = 0; done < length; ) {
      const n = Math.min(piece.length, length - done);
      const view = piece.subarray(0, n);
      await this.read(view, offset + done);
      hash.update(view);
      done += n;
    }
    return hash.digest();
  }

  digestExtents(): Promise<Buffer> {
    return Promise.reject(new BlockIoError('ENOTSUP', 95, 'a point exposed read-only offers no extent digests'));
  }

  /** The point store belongs to its LUN: nothing to close here. */
  async close(): Promise<void> {}
}

function readOnlyError(): BlockIoError {
  return new BlockIoError('EROFS', 30, 'a recovery point is exposed read-only');
}
