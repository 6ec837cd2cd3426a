/**
 * Loads the tandem_native addon and describes its raw, callback-style interface.
 * The addon lives at `<package root>/build/Release/tandem_native.node`.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { packageRoot } from './package-root.js';

/** An error from a system call: `code` is the errno name ('EIO'), `errno` the positive errno number. */
export interface NativeError extends Error {
  code: string;
  errno: number;
  syscall: string;
}

export type NativeCallback<T> = (err: NativeError | null, result: T) => void;

export interface NativeOpenOptions {
  readOnly?: boolean;
  /** O_DIRECT; unaligned Buffers are staged through an aligned copy. */
  direct?: boolean;
  /** Bytes: create a sparse file this size when absent; grow (never shrink) a smaller writable file. */
  create?: number;
}

export interface NativeOpenResult {
  fd: number;
  size: number;
  isBlockDevice: boolean;
  logicalBlockSize: number;
}

/**
 * Extent digests the addon can compute: SHA-256 always; XXH3-128 ('xxh3', 16 bytes in its
 * canonical big-endian form) only when it was built against libxxhash-dev.
 */
export type NativeDigestAlgorithm = 'sha256' | 'xxh3';

export interface NativeAllocation {
  mapped: boolean;
  length: number;
}

export interface NativeRbdOpenOptions {
  pool: string;
  image: string;
  /** ceph.conf; default: librados' search ($CEPH_CONF, /etc/ceph/ceph.conf, ~/.ceph/config, ./ceph.conf). */
  conf?: string;
  /** Client id without "client." (default "admin"). */
  client?: string;
  readOnly?: boolean;
  /** Bytes: create the image this size when absent; grow (never shrink) a smaller writable one. */
  create?: number;
  /**
   * Seconds after which librados fails an OSD or mon op with ETIMEDOUT (rados_osd_op_timeout,
   * rados_mon_op_timeout); 0 or absent: ops wait for the OSD. Images with different values
   * get different connections; with a timeout librbd's write-around cache (it would lose
   * acknowledged writes) and zero-copy writes are off, and an image whose pool or own config
   * turns write-around back on is refused.
   */
  opTimeout?: number;
}

/**
 * An open RBD image. read/write/flush/discard return 0 once librbd has the request, or a
 * negative errno when it refused it; each submitted request completes later through the
 * open's `onComplete(pairs)`: (id, 0 or -errno) pairs, several per call.
 */
export interface NativeRbdImage {
  readonly size: number;
  read(id: number, buf: Buffer, offset: number): number;
  write(id: number, buf: Buffer, offset: number, fua: boolean): number;
  flush(id: number): number;
  discard(id: number, offset: number, length: number): number;
  /** rbd_diff_iterate2 on a worker thread. */
  allocation(offset: number, length: number, cb: NativeCallback<NativeAllocation>): void;
  /** One worker per batch, reading with a few aio reads in flight. */
  digestExtents(extents: Float64Array, algorithm: NativeDigestAlgorithm, cb: NativeCallback<Buffer>): void;
  /** Throws EBUSY with requests in flight. Releases the pool's connection with its last image. */
  close(cb: NativeCallback<undefined>): void;
}

export interface NativeAddon {
  /** Synchronous; throws a NativeError. */
  open(path: string, options: NativeOpenOptions): NativeOpenResult;
  /** Synchronous; throws a NativeError. */
  close(fd: number): void;
  /** Fills all of `buf`; bytes past end-of-file read as zeroes. */
  pread(fd: number, buf: Buffer, offset: number, cb: NativeCallback<undefined>): void;
  pwrite(fd: number, buf: Buffer, offset: number, cb: NativeCallback<undefined>): void;
  /** pwrite that is durable before the callback (RWF_DSYNC, or pwrite + fdatasync). */
  pwriteFua(fd: number, buf: Buffer, offset: number, cb: NativeCallback<undefined>): void;
  preadv(fd: number, bufs: readonly Buffer[], offset: number, cb: NativeCallback<undefined>): void;
  pwritev(fd: number, bufs: readonly Buffer[], offset: number, cb: NativeCallback<undefined>): void;
  pwritevFua(fd: number, bufs: readonly Buffer[], offset: number, cb: NativeCallback<undefined>): void;
  fdatasync(fd: number, cb: NativeCallback<undefined>): void;
  /**
   * Several reads/writes on `fd` in one threadpool job, run in order. `flags[i]`: bit 0
   * write, bit 1 FUA (as pwriteFua). The result is undefined when every op succeeded,
   * else one entry per op: null or that op's NativeError. `err` is always null. `buffers`
   * (the array itself) must stay as it is until the callback.
   */
  transferBatch(
    fd: number,
    buffers: readonly Buffer[],
    offsets: Float64Array,
    flags: Uint8Array,
    cb: NativeCallback<Array<NativeError | null> | undefined>,
  ): void;
  /**
   * Synchronous, on the calling thread: each buffered non-FUA write, and each read the page
   * cache holds (RWF_NOWAIT), done in full; anything else left undone with `redo[i]` = 1
   * (FUA, a read that would wait, a short transfer, an error). The typed arrays may be
   * longer than `buffers`. With `countSleeps`, returns how many times the calling thread
   * slept in the kernel meanwhile (voluntary context switches: made to wait, not merely
   * preempted); else 0 (counting costs two system calls).
   */
  transferInline(fd: number, buffers: readonly Buffer[], offsets: Float64Array, flags: Uint8Array, redo: Uint8Array, countSleeps?: boolean): number;
  /** Punch a hole (size kept): a regular file, or a block device (reads zeroes after; BLKZEROOUT where the device cannot punch). */
  discard(fd: number, offset: number, length: number, isBlockDevice: boolean, cb: NativeCallback<undefined>): void;
  allocation(fd: number, offset: number, maxLength: number, cb: NativeCallback<NativeAllocation>): void;
  /** Consecutive extents from `offset` (up to maxLength bytes, at most maxExtents of them), one job: (offset, length, mapped 0/1) triples. */
  allocationMap(fd: number, offset: number, maxLength: number, maxExtents: number, cb: NativeCallback<Float64Array>): void;
  /** SHA-256 of a file range, hashed in 1 MiB chunks on a worker thread. */
  sha256File(fd: number, offset: number, length: number, cb: NativeCallback<Buffer>): void;
  /** N (offset, length) pairs in, N digests out back to back (32 or 16 bytes each); one worker per batch. */
  digestExtents(fd: number, extents: Float64Array | BigUint64Array, algorithm: NativeDigestAlgorithm, cb: NativeCallback<Buffer>): void;
  /** Synchronous: the digest of the parts' concatenation, written into `out` at `offset`. */
  digestInto(algorithm: NativeDigestAlgorithm, parts: readonly Buffer[], out: Buffer, offset: number): void;
  /** The algorithms this build hashes with ('sha256' first). */
  readonly digestAlgorithms: readonly NativeDigestAlgorithm[];
  sha256(buf: Buffer, cb: NativeCallback<Buffer>): void;
  sha256Sync(buf: Buffer): Buffer;
  hmacSha256(key: Buffer, data: Buffer): Buffer;
  /** `initial` is the CRC of preceding bytes: crc32c(b, crc32c(a)) === crc32c(a ++ b). */
  crc32c(buf: Uint8Array, initial?: number): number;
  crc32cSoftware(buf: Uint8Array, initial?: number): number;
  crc32cImplementation(): 'sse4.2' | 'table';
  /** Whether this build has the Ceph RBD store (built against librbd-dev and librados-dev). */
  readonly rbdAvailable: boolean;
  /** Only where rbdAvailable. */
  rbdOpen?(options: NativeRbdOpenOptions, onComplete: (pairs: Int32Array) => void, cb: NativeCallback<NativeRbdImage>): void;
  /** Connections and pool contexts open now (shared by the images that use them). */
  rbdConnections?(): { connections: number; pools: number };
}

const addonPath = join(packageRoot(import.meta.url), 'build', 'Release', 'tandem_native.node');

export const native: NativeAddon = createRequire(import.meta.url)(addonPath) as NativeAddon;
