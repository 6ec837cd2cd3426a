import type { BufferHold } from '../util/buffer-pool.js';
import type { DigestAlgorithm } from './digest.js';

/**
 * The one small interface every backing store implements (file/device through the
 * native addon today; others later, as tgt's bs_* stores). The block layer knows
 * nothing of SCSI: offsets and lengths are in bytes, errors are errno-coded.
 */
export interface BlockDevice {
  /** Size in bytes; a multiple of the logical block size the SCSI layer uses. */
  readonly size: number;
  readonly readOnly: boolean;
  /** Whether discard really deallocates (sparse file, or a device that supports it). */
  readonly canDiscard: boolean;
  /**
   * Read-only, and allocation() says where it reads zeroes: served as thin provisioned
   * (LBPME, LBPRZ, GET LBA STATUS) though it takes no UNMAP (a recovery point exposed).
   */
  readonly reportsHoles?: boolean;
  /** Human-readable origin, for logs and INQUIRY serials. */
  readonly path: string;
  /** The algorithms digestExtents accepts (the challenge algorithms the LU advertises follow it). */
  readonly digestAlgorithms: readonly DigestAlgorithm[];

  /** Fill `buf` entirely from byte `offset`. Reads past EOF of a sparse file return zeroes. */
  read(buf: Buffer, offset: number): Promise<void>;
  /**
   * Write all of `buf` at byte `offset`; `fua` makes it durable before resolving.
   *
   * `buf` is lent for the duration of the call: once the promise settles the caller may
   * reuse its memory (the target recycles command buffers through a pool). A device that
   * keeps `buf`, or any view of its memory, past that point must either copy it or, when
   * `hold` is given, call `hold.retain()` before the promise settles and call the function
   * it returns once it no longer needs the bytes (e.g. when a queued copy has been shipped).
   * A holder that cannot tell when the bytes stop being read (a network write that timed
   * out, its data still queued on the socket) never calls it: the buffer is then left to
   * the GC, never reused. This applies to a rejected promise as much as to a resolved one.
   * Devices that do not keep the buffer ignore `hold`; a wrapper passes it on to the device
   * it writes through.
   */
  write(buf: Buffer, offset: number, fua?: boolean, hold?: BufferHold): Promise<void>;
  /** Make every completed write durable. */
  flush(): Promise<void>;
  /** Deallocate a byte range; reads of it return zeroes afterwards. */
  discard(offset: number, length: number): Promise<void>;
  /**
   * Allocation status of the extent starting at `offset`: whether it is mapped,
   * and how many bytes (<= maxLength) share that status.
   */
  allocation(offset: number, maxLength: number): Promise<{ mapped: boolean; length: number }>;
  /**
   * The allocation of consecutive extents from `offset` (up to `maxLength` bytes; a store
   * may stop earlier, after a few hundred extents, or after `maxExtents`), in one call: a
   * walk over a large thin volume asks once per many extents. Optional: allocationMapOf()
   * falls back to allocation().
   */
  allocationMap?(offset: number, maxLength: number, maxExtents?: number): Promise<AllocationExtent[]>;
  /** SHA-256 of a byte range, computed off the event loop. */
  sha256(offset: number, length: number): Promise<Buffer>;
  /**
   * Digests of many byte ranges in one call (a whole challenge list, in one threadpool job
   * for a file): `extents` holds (offset, length) pairs; the result one digest per pair
   * (digestLength(algorithm) bytes), in order.
   */
  digestExtents(extents: Float64Array, algorithm: DigestAlgorithm): Promise<Buffer>;
  close(): Promise<void>;
}

/** A byte range and whether anything of it is stored. */
export interface AllocationExtent {
  offset: number;
  length: number;
  /** False only where nothing is stored: reads return zeroes and the range takes no space. */
  mapped: boolean;
}

/** `device`'s allocationMap, or its one-extent allocation() as a map of one extent. */
export async function allocationMapOf(device: BlockDevice, offset: number, maxLength: number, maxExtents?: number): Promise<AllocationExtent[]> {
  if (device.allocationMap) return device.allocationMap(offset, maxLength, maxExtents);
  const a = await device.allocation(offset, maxLength);
  return [{ offset, length: a.length, mapped: a.mapped }];
}

/** An I/O error carrying the errno code the SCSI layer maps to sense data. */
export class BlockIoError extends Error {
  constructor(
    readonly code: string,
    readonly errno: number,
    message: string,
  ) {
    super(message);
    this.name = 'BlockIoError';
  }
}
