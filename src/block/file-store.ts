/**
 * A BlockDevice over a regular (sparse) file or a block device, doing I/O on the libuv
 * threadpool through the native addon, except small buffered I/O that costs less done on
 * the JS thread (inline-io.ts). One promise per I/O; the only
 * bookkeeping is the IoGate's in-flight count (close() waits for it), and the first failed
 * sync, which fails every later flush and FUA write (sticky-sync-error.ts). Syncs (a flush,
 * a FUA write, a batch holding FUA writes) run on descriptions of the file of their own, one
 * at a time on each, so that a successful one needs not wait for those that overlapped it
 * (sync-descriptors.ts).
 */
import { mkdir } from 'node:fs/promises';
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { fsyncDir } from './atomic-file.js';
import type { AllocationExtent, BlockDevice } from './device.js';
import { DIGEST_ALGORITHMS, type DigestAlgorithm } from './digest.js';
import { blockError, fromNativeError } from './errors.js';
import { IoGate } from './io-gate.js';
import { InlineIo } from './inline-io.js';
import { WriteLane } from './write-lane.js';
import { directBlockSizeRefusal, mediumSectorSize, sysfsQueueDirs } from './sector-size.js';
import { StickySyncError } from './sticky-sync-error.js';
import { defaultSyncDescriptorCount, SyncDescriptors } from './sync-descriptors.js';
import { WritebackWitness } from './writeback-witness.js';
import { native, type NativeAllocation, type NativeCallback, type NativeError } from '../native/index.js';
import { moduleLogger, type Logger } from '../util/log.js';
import { totalLength } from '../util/total-length.js';

export interface FileBlockStoreOptions {
  path: string;
  /** Bytes: create a sparse file (and its parent directory) this size when absent; grow a smaller file. */
  size?: number;
  readOnly?: boolean;
  /** O_DIRECT (bypass the page cache). Offsets and lengths must then be logical-block multiples. */
  direct?: boolean;
  /**
   * The LUN's logical block size in bytes. With `direct`, the open is refused when it is not
   * a multiple of the medium's logical sector size (O_DIRECT I/O of one block would fail).
   */
  blockSize?: number;
  /** Where a write-back failure is reported (once: it then fails every flush, see StickySyncError). Default: the 'block' module logger. */
  logger?: Logger;
  /**
   * Open file descriptions of the file that syncs run on, one sync at a time on each
   * (sync-descriptors.ts). Default: the threadpool's size (UV_THREADPOOL_SIZE, 4). 0, read-only,
   * or when they cannot be opened (no /proc): every sync on the store's descriptor, a
   * successful one waiting for the syncs that overlapped it (StickySyncError).
   */
  syncDescriptors?: number;
}

/** Batch bounds: enough to amortise the threadpool hop, small enough to keep I/Os parallel. */
const BATCH_MAX_OPS = 8;
const BATCH_MAX_BYTES = 256 * 1024;
const FLAG_WRITE = 1;
const FLAG_DSYNC = 2;
/** Jobs of large plain writes in flight on one buffered file (two: one runs while the next is handed over). */
const WRITE_LANE_JOBS = 2;
/** Extents one allocationMap call walks at most (SEEK_DATA/SEEK_HOLE pairs in one threadpool job). */
const MAP_EXTENTS = 512;

interface QueuedIo {
  buf: Buffer;
  offset: number;
  flags: number;
  resolve: () => void;
  reject: (e: unknown) => void;
}

export class FileBlockStore implements BlockDevice {
  private readonly gate: IoGate;
  private queued: QueuedIo[] = [];
  private readonly inline: InlineIo | undefined;
  /** Large plain writes to a file through the page cache: a few jobs at a time (write-lane.ts). */
  private readonly writeLane: WriteLane<QueuedIo[]> | undefined;
  /** A failed sync fails every later flush and FUA write. */
  private readonly syncError: StickySyncError;
  /** Tells whether a failed FUA write's sync failed (writable stores only). */
  private readonly witness: WritebackWitness | undefined;
  /** Where syncs run, one on each at a time; undefined: on `fd`, with StickySyncError's overlap wait. */
  private readonly syncFds: SyncDescriptors | undefined;

  private constructor(
    readonly path: string,
    private readonly fd: number,
    readonly size: number,
    readonly readOnly: boolean,
    readonly isBlockDevice: boolean,
    /** The device's sector size (512 for files). */
    readonly logicalBlockSize: number,
    readonly canDiscard: boolean,
    direct: boolean,
    logger: Logger,
    syncDescriptors: number,
  ) {
    this.gate = new IoGate(path, size, readOnly);
    // A read-only store writes nothing: its flushes are rare, and need not cost it descriptors.
    this.syncFds = readOnly ? undefined : SyncDescriptors.open(fd, syncDescriptors, readOnly, direct);
    this.syncError = new StickySyncError(path, logger, this.syncFds !== undefined);
    this.witness = readOnly ? undefined : WritebackWitness.open(fd);
    // Regular files through the page cache only: with O_DIRECT, or on a block device, an
    // inline write waits for the device.
    this.inline = !isBlockDevice && !direct ? new InlineIo(fd) : undefined;
    this.writeLane = this.inline ? new WriteLane(WRITE_LANE_JOBS, (ops, done) => this.submitBatch(ops, done)) : undefined;
  }

  static async open(opts: FileBlockStoreOptions): Promise<FileBlockStore> {
    const readOnly = opts.readOnly ?? false;
    const create = readOnly ? undefined : opts.size;
    if (create !== undefined) await mkdir(dirname(opts.path), { recursive: true });
    // Absent now: the open creates it, and its name is durable only once its directory is synced.
    const creates = create !== undefined && !existsSync(opts.path);
    let opened;
    try {
      opened = native.open(opts.path, { readOnly, direct: opts.direct ?? false, create });
    } catch (e) {
      const err = e as NativeError;
      if (err.syscall === 'lock') throw blockError('EBUSY', `${opts.path} is in use: another process has it open for writing (a second tandem serve?)`);
      throw fromNativeError(err, opts.path);
    }
    const fd = opened.fd;
    try {
      if (opts.direct && opts.blockSize !== undefined) {
        const refused = directBlockSizeRefusal(opts.path, opts.blockSize, mediumSectorSize(fd, opened.isBlockDevice, opened.logicalBlockSize));
        if (refused) {
          // A LUN that cannot be served leaves no image behind.
          if (creates) rmSync(opts.path, { force: true });
          throw refused;
        }
      }
      // Without it a crash can lose the whole new image, data flushed into it included, on a
      // file system that does not order the name's creation before the file's data (ext4 without a journal).
      if (creates) await fsyncDir(dirname(opts.path));
    } catch (e) {
      native.close(fd);
      throw e;
    }
    // Punching holes works on the filesystems we target; if one refuses, discard()
    // reports EOPNOTSUPP rather than us probing (and so damaging) the image here.
    const canDiscard = opened.isBlockDevice ? blockDeviceDiscards(opts.path) : true;
    return new FileBlockStore(
      opts.path,
      opened.fd,
      opened.size,
      readOnly,
      opened.isBlockDevice,
      opened.logicalBlockSize,
      canDiscard && !readOnly,
      opts.direct ?? false,
      opts.logger ?? moduleLogger('block'),
      opts.syncDescriptors ?? defaultSyncDescriptorCount(),
    );
  }

  read(buf: Buffer, offset: number): Promise<void> {
    const refused = this.gate.refuse(offset, buf.length, false);
    if (refused) return Promise.reject(refused);
    return this.enqueue(buf, offset, 0);
  }

  /** Scatter read: fills each buffer in turn from `offset`. */
  readv(bufs: readonly Buffer[], offset: number): Promise<void> {
    const refused = this.gate.refuse(offset, totalLength(bufs), false);
    if (refused) return Promise.reject(refused);
    return this.gate.call((cb) => native.preadv(this.fd, bufs, offset, cb));
  }

  write(buf: Buffer, offset: number, fua = false): Promise<void> {
    const refused = this.gate.refuse(offset, buf.length, true);
    if (refused) return Promise.reject(refused);
    if (!fua) return this.enqueue(buf, offset, FLAG_WRITE);
    return this.syncError.run(() => {
      const write = this.enqueue(buf, offset, FLAG_WRITE | FLAG_DSYNC);
      return this.inline ? this.inline.syncing(write) : write;
    });
  }

  /**
   * Single-buffer reads and writes wait here until the end of the current microtask
   * checkpoint, then go to the threadpool in a few batched jobs (see submitQueued): at
   * small block sizes the per-job wake-up and completion hop cost more than the I/O.
   */
  private enqueue(buf: Buffer, offset: number, flags: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.gate.begin();
      if (this.queued.length === 0) queueMicrotask(this.submitQueued);
      this.queued.push({ buf, offset, flags, resolve, reject });
    });
  }

  private readonly submitQueued = (): void => {
    let all = this.queued;
    this.queued = [];
    if (this.inline) {
      try {
        all = this.inline.run(all, this.completedInline);
      } catch {
        // Only the addon's argument check throws, before any I/O (what it did or could not do
        // comes back per op, never as a throw), so every op goes to the pool once: none is
        // repeated, and the pool's batch reports the refusal per op.
      }
    }
    let start = 0;
    while (start < all.length) {
      let end = start;
      let bytes = 0;
      while (end < all.length && end - start < BATCH_MAX_OPS && (end === start || bytes + all[end]!.buf.length <= BATCH_MAX_BYTES)) {
        bytes += all[end]!.buf.length;
        end++;
      }
      const batch = start === 0 && end === all.length ? all : all.slice(start, end);
      if (this.writeLane && isLargePlainWrite(batch, bytes)) this.writeLane.submit(batch);
      else this.submitBatch(batch);
      start = end;
    }
  };

  private readonly completedInline = (op: QueuedIo): void => {
    this.gate.end();
    op.resolve();
  };

  /** Runs `ops` in one threadpool job: on a sync descriptor of its own when one of them is a FUA write. */
  private submitBatch(ops: QueuedIo[], done?: () => void): void {
    const pool = this.syncFds;
    if (!pool || !ops.some((op) => op.flags & FLAG_DSYNC)) {
      this.transferBatch(this.fd, ops, done);
      return;
    }
    // The batch's own promise never rejects: what does is the pool, closed before the batch had a description.
    pool
      .run((fd) => new Promise<void>((finished) => this.transferBatch(fd, ops, done, finished)), this.gate)
      .catch((e: unknown) => this.refusedBatch(ops, done, e));
  }

  /** `ops` on `fd`; `finished` once the job is done and a failed FUA write's verdict is in. */
  private transferBatch(fd: number, ops: QueuedIo[], done: (() => void) | undefined, finished?: () => void): void {
    const n = ops.length;
    const bufs = new Array<Buffer>(n);
    const offsets = new Float64Array(n);
    const flags = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const op = ops[i]!;
      bufs[i] = op.buf;
      offsets[i] = op.offset;
      flags[i] = op.flags;
    }
    try {
      native.transferBatch(fd, bufs, offsets, flags, (_err, errors) => {
        done?.();
        let verdicts: Promise<void>[] | undefined;
        for (let i = 0; i < n; i++) {
          const op = ops[i]!;
          const e = errors?.[i];
          if (e && op.flags & FLAG_DSYNC) {
            const failed = fromNativeError(e, this.path);
            const verdict = this.fuaWriteFailed(e);
            (verdicts ??= []).push(verdict);
            void verdict.then(() => op.reject(failed));
            this.gate.end();
          } else {
            this.gate.end();
            if (e) op.reject(fromNativeError(e, this.path));
            else op.resolve();
          }
        }
        // Not before a failed sync is recorded: a sync on the description after it would
        // succeed (the error is consumed there) and must find it stuck.
        if (finished) {
          if (!verdicts) finished();
          else void Promise.all(verdicts).then(() => finished());
        }
      });
    } catch (e) {
      finished?.();
      this.refusedBatch(ops, done, e);
    }
  }

  /**
   * Refused before anything was queued (the addon throws on a bad argument): nothing will
   * call back, so every op ends here; left counted, close() would wait for them forever.
   */
  private refusedBatch(ops: readonly QueuedIo[], done: (() => void) | undefined, e: unknown): void {
    done?.();
    for (const op of ops) {
      this.gate.end();
      op.reject(e);
    }
  }

  /** Gather write: the buffers back to back from `offset`, with no concatenation copy. */
  writev(bufs: readonly Buffer[], offset: number, fua = false): Promise<void> {
    const refused = this.gate.refuse(offset, totalLength(bufs), true);
    if (refused) return Promise.reject(refused);
    if (!fua) return this.gate.call((cb) => native.pwritev(this.fd, bufs, offset, cb));
    return this.syncError.run(() => this.onSyncDescriptor((fd) => this.gate.call<undefined>((cb) => native.pwritevFua(fd, bufs, offset, this.noticingFuaError(cb)))));
  }

  /** Make every completed write durable; after a failed write-back, fails until the store is reopened (StickySyncError). */
  flush(): Promise<void> {
    const refused = this.gate.refuse(0, 0, false);
    if (refused) return Promise.reject(refused);
    return this.syncError.run(() => {
      const sync = this.onSyncDescriptor((fd) => this.gate.call<undefined>((cb) => native.fdatasync(fd, this.noticingSyncError(cb))));
      return this.inline ? this.inline.syncing(sync) : sync;
    });
  }

  /**
   * Runs `sync` on a sync descriptor held until it settles (after its failure is recorded:
   * see noticingSyncError, noticingFuaError), or on the store's descriptor without them.
   */
  private onSyncDescriptor(sync: (fd: number) => Promise<undefined>): Promise<undefined> {
    return this.syncFds ? this.syncFds.run(sync, this.gate) : sync(this.fd);
  }

  /** `cb` of an fdatasync, after telling the sticky sync error of a failure. */
  private noticingSyncError(cb: NativeCallback<undefined>): NativeCallback<undefined> {
    return (err, result) => {
      if (err) this.syncError.syncFailed(err);
      cb(err, result);
    };
  }

  /** `cb` of a FUA write; a failure reaches it once fuaWriteFailed has told whether the sync failed. */
  private noticingFuaError(cb: NativeCallback<undefined>): NativeCallback<undefined> {
    return (err, result) => {
      if (!err) cb(err, result);
      else void this.fuaWriteFailed(err).then(() => cb(err, result));
    };
  }

  /**
   * A FUA write failed with `err`: sticks when a sync failed, not when the write itself did
   * (nothing written before it was lost). A batch's shared fdatasync names itself; a single
   * RWF_DSYNC write reports its write and its sync alike, so the witness is asked. Counted in
   * flight from the call (before the write's own count ends), so close() waits for it.
   */
  private fuaWriteFailed(err: NativeError): Promise<void> {
    const witness = this.witness;
    if (err.syscall === 'fdatasync' || !witness || this.syncError.failed) {
      this.syncError.syncFailed(err);
      return Promise.resolve();
    }
    this.gate.begin();
    return witness.check().then((writeback) => {
      this.gate.end();
      if (writeback) this.syncError.syncFailed(writeback);
    });
  }

  /**
   * Deallocates; reads of the range return zeroes afterwards. A file punches a hole (which
   * zeroes partial blocks itself); a block device takes whole logical blocks only (its
   * sector size, 4096 on a 4Kn disk, where the LUN's blocks may be 512 bytes): the part of
   * the range inside whole blocks is deallocated, the unaligned head and tail are written
   * with zeroes.
   */
  discard(offset: number, length: number): Promise<void> {
    const refused = this.gate.refuse(offset, length, true);
    if (refused) return Promise.reject(refused);
    if (!this.isBlockDevice) return this.gate.call((cb) => native.discard(this.fd, offset, length, false, cb));
    const end = offset + length;
    const lbs = this.logicalBlockSize;
    const from = Math.min(end, Math.ceil(offset / lbs) * lbs);
    const to = Math.max(from, Math.floor(end / lbs) * lbs);
    const parts: Promise<void>[] = [];
    if (from > offset) parts.push(this.writeZeroes(offset, from - offset));
    if (to > from) parts.push(this.gate.call((cb) => native.discard(this.fd, from, to - from, true, cb)));
    if (end > to) parts.push(this.writeZeroes(to, end - to));
    return parts.length === 1 ? parts[0]! : Promise.all(parts).then(() => undefined);
  }

  /** Zeroes a part of a logical block (less than one): a discard's unaligned head or tail. */
  private writeZeroes(offset: number, length: number): Promise<void> {
    return this.gate.call((cb) => native.pwrite(this.fd, Buffer.alloc(length), offset, cb));
  }

  async allocation(offset: number, maxLength: number): Promise<NativeAllocation> {
    const length = this.allocationLength(offset, maxLength);
    return this.gate.call((cb) => native.allocation(this.fd, offset, length, cb));
  }

  async allocationMap(offset: number, maxLength: number, maxExtents = MAP_EXTENTS): Promise<AllocationExtent[]> {
    const length = this.allocationLength(offset, maxLength);
    const extents = Math.max(1, Math.min(MAP_EXTENTS, Math.floor(maxExtents)));
    const triples = await this.gate.call<Float64Array>((cb) => native.allocationMap(this.fd, offset, length, extents, cb));
    const out: AllocationExtent[] = [];
    for (let i = 0; i < triples.length; i += 3) out.push({ offset: triples[i]!, length: triples[i + 1]!, mapped: triples[i + 2] === 1 });
    return out;
  }

  /** How far an allocation question from `offset` may look (within the store); throws what the gate refuses. */
  private allocationLength(offset: number, maxLength: number): number {
    const refused = this.gate.refuseAllocation(offset);
    if (refused) throw refused;
    return Math.min(maxLength, this.size - offset);
  }

  sha256(offset: number, length: number): Promise<Buffer> {
    const refused = this.gate.refuse(offset, length, false);
    if (refused) return Promise.reject(refused);
    return this.gate.call((cb) => native.sha256File(this.fd, offset, length, cb));
  }

  get digestAlgorithms(): readonly DigestAlgorithm[] {
    return DIGEST_ALGORITHMS;
  }

  /**
   * Digests of many extents in one threadpool job: `extents` holds (offset, length)
   * pairs; the result holds one digest per pair, in order.
   */
  digestExtents(extents: Float64Array, algorithm: DigestAlgorithm): Promise<Buffer> {
    const refused = this.gate.refuseDigest(extents, algorithm, DIGEST_ALGORITHMS);
    if (refused) return Promise.reject(refused);
    return this.gate.call((cb) => native.digestExtents(this.fd, extents, algorithm, cb));
  }

  /** Waits for in-flight I/O, then closes. Idempotent. Does not flush: call flush() first. */
  close(): Promise<void> {
    return this.gate.close(() => {
      this.witness?.close();
      this.syncFds?.close();
      native.close(this.fd);
    });
  }
}

/** A batch of only plain (not FUA) writes, at least a batch's worth of bytes: what contends for a file's lock. */
function isLargePlainWrite(batch: readonly QueuedIo[], bytes: number): boolean {
  return bytes >= BATCH_MAX_BYTES && batch.every((op) => op.flags === FLAG_WRITE);
}

/**
 * Whether a discard on this device deallocates with reads of the range returning zeroes
 * after (the LBPRZ=1 a thin LUN reports): the device takes discards (queue/discard_max_bytes
 * > 0) and WRITE ZEROES (queue/write_zeroes_max_bytes > 0), which is what the addon's hole
 * punch on a block device issues (native/space.cc). A device that only discards (TRIM on many
 * SATA SSDs) promises no zeroes afterwards: discard is not offered on it (WRITE SAME writes
 * the zeroes instead), rather than every UNMAP writing zeroes over the whole range.
 */
function blockDeviceDiscards(path: string): boolean {
  try {
    for (const queue of sysfsQueueDirs(statSync(path).rdev)) {
      let discards: boolean;
      try {
        discards = Number(readFileSync(`${queue}/discard_max_bytes`, 'utf8').trim()) > 0;
      } catch {
        continue; // try the parent
      }
      return discards && Number(readFileSync(`${queue}/write_zeroes_max_bytes`, 'utf8').trim()) > 0;
    }
  } catch {
    // fall through: unknown means no
  }
  return false;
}
