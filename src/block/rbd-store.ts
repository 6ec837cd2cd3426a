/**
 * A BlockDevice over a Ceph RBD image, through librbd in the native addon: reads, writes,
 * flushes and discards are librbd aio requests submitted from the event loop (librbd
 * dispatches them on it, with librados' blocking in-flight throttle off: native/rbd_cluster.cc),
 * their completions batched back to it (src/block/rbd-requests.ts); allocation walks
 * rbd_diff_iterate2 and digests read with aio on one worker per batch. Images of one pool
 * (same ceph.conf and client) share one cluster connection and I/O context.
 *
 * Cache: librbd's client cache is configured by ceph.conf (librbd 16: on, write-around,
 * write-through until the first flush). FUA writes carry librbd's FUA op flag, which both
 * of its caches honour (write-around dispatches the write unoptimised, writeback writes it
 * through), so a FUA write is on the OSDs when it completes; flush() is rbd_aio_flush. A
 * LU whose write cache is off (WCE=0) sends every write as FUA: write-through.
 *
 * A failed flush fails every later flush and FUA write until the image is reopened
 * (sticky-sync-error.ts), as in the file store and for the same reason: librbd's
 * write-around cache acknowledges a write before the OSDs have it, and reports its failure
 * to the first flush that completes after it only (the others succeed). Not ETIMEDOUT: only
 * an op timeout gives it, whose connection has write-around off, and the host is meant to
 * retry it (NOT READY) until the OSD is back. A FUA write's own failure does not stick.
 *
 * Op timeout: an op to an OSD that is down fails with ETIMEDOUT after `opTimeout` seconds
 * (the SCSI layer answers NOT READY, which hosts retry) instead of waiting for the OSD; with
 * it, the connection turns off librbd's write-around cache, which would complete writes the
 * timeout then drops, and zero-copy writes, whose failure would wait for the OSD map to
 * change (native/rbd_cluster.cc).
 */
import { BlockIoError, type BlockDevice } from './device.js';
import { DIGEST_ALGORITHMS, type DigestAlgorithm } from './digest.js';
import { blockError, fromNativeError } from './errors.js';
import { IoGate } from './io-gate.js';
import { RbdRequests } from './rbd-requests.js';
import { StickySyncError } from './sticky-sync-error.js';
import { native, type NativeAllocation, type NativeError, type NativeRbdImage } from '../native/index.js';
import { moduleLogger, type Logger } from '../util/log.js';

export interface RbdBlockStoreOptions {
  pool: string;
  image: string;
  /** ceph.conf path; default: librados' search ($CEPH_CONF, /etc/ceph/ceph.conf, ...). */
  conf?: string;
  /** Ceph client id without "client." (default "admin"); its keyring comes from the config. */
  client?: string;
  /** Bytes: create the image this size when absent; grow a smaller one. */
  size?: number;
  readOnly?: boolean;
  /** Seconds before librados fails an op to an unresponsive OSD or mon (ETIMEDOUT); 0: it waits. Default DEFAULT_RBD_OP_TIMEOUT_S. */
  opTimeout?: number;
  /** Where a failed flush is reported (once: it then fails every flush, see StickySyncError). Default: the 'block' module logger. */
  logger?: Logger;
}

/**
 * librados' own default: an op to a dead OSD waits for it. A timeout (op-timeout=SECONDS)
 * gives the host NOT READY to retry instead, but needs librbd's write-around cache off (it
 * would lose a timed-out write unseen), which cost writes 20-30% against tgt's bs_rbd in
 * the bench: a choice for the user, not a default.
 */
export const DEFAULT_RBD_OP_TIMEOUT_S = 0;

/** Whether this build has the RBD store (the addon was built against librbd-dev and librados-dev). */
export const RBD_AVAILABLE: boolean = native.rbdAvailable;
export const RBD_UNAVAILABLE = 'this build has no Ceph RBD support (install librbd-dev librados-dev and rebuild)';

export class RbdBlockStore implements BlockDevice {
  readonly size: number;
  readonly canDiscard: boolean;
  private readonly gate: IoGate;
  /** A failed flush fails every later flush and FUA write. */
  private readonly syncError: StickySyncError;

  private constructor(
    readonly path: string,
    private readonly image: NativeRbdImage,
    private readonly requests: RbdRequests,
    readonly readOnly: boolean,
    logger: Logger,
  ) {
    this.size = image.size;
    this.canDiscard = !readOnly;
    this.gate = new IoGate(path, this.size, readOnly);
    this.syncError = new StickySyncError(path, logger);
  }

  static async open(opts: RbdBlockStoreOptions): Promise<RbdBlockStore> {
    const path = `rbd:${opts.pool}/${opts.image}`;
    const open = native.rbdOpen;
    if (!RBD_AVAILABLE || !open) throw blockError('ENOTSUP', `${path}: ${RBD_UNAVAILABLE}`);
    const readOnly = opts.readOnly ?? false;
    // The requests table exists before the image: the addon binds its completions to it.
    let store: RbdBlockStore | undefined;
    const requests = new RbdRequests(path, () => store?.gate.end());
    const image = await new Promise<NativeRbdImage>((resolve, reject) =>
      open(
        {
          pool: opts.pool,
          image: opts.image,
          readOnly,
          opTimeout: opts.opTimeout ?? DEFAULT_RBD_OP_TIMEOUT_S,
          ...(opts.conf !== undefined ? { conf: opts.conf } : {}),
          ...(opts.client !== undefined ? { client: opts.client } : {}),
          ...(opts.size !== undefined && !readOnly ? { create: opts.size } : {}),
        },
        requests.complete,
        (err, opened) => (err ? reject(openError(err, opts, path)) : resolve(opened)),
      ),
    );
    store = new RbdBlockStore(path, image, requests, readOnly, opts.logger ?? moduleLogger('block'));
    return store;
  }

  get digestAlgorithms(): readonly DigestAlgorithm[] {
    return DIGEST_ALGORITHMS;
  }

  read(buf: Buffer, offset: number): Promise<void> {
    const refused = this.gate.refuse(offset, buf.length, false);
    if (refused) return Promise.reject(refused);
    if (buf.length === 0) return Promise.resolve();
    return this.submit('rbd_aio_read', buf, (id) => this.image.read(id, buf, offset));
  }

  write(buf: Buffer, offset: number, fua = false): Promise<void> {
    const refused = this.gate.refuse(offset, buf.length, true);
    if (refused) return Promise.reject(refused);
    if (buf.length === 0) return fua ? this.flush() : Promise.resolve();
    if (!fua) return this.submit('rbd_aio_write', buf, (id) => this.image.write(id, buf, offset, false));
    return this.syncError.run(() => this.submit('rbd_aio_write', buf, (id) => this.image.write(id, buf, offset, true)));
  }

  /** Makes every completed write durable; after a failed flush, fails until the image is reopened (StickySyncError). */
  flush(): Promise<void> {
    const refused = this.gate.refuse(0, 0, false);
    if (refused) return Promise.reject(refused);
    return this.syncError.run(() =>
      this.submit('rbd_aio_flush', undefined, (id) => this.image.flush(id)).catch((e: unknown) => {
        if (e instanceof BlockIoError && e.code !== 'ETIMEDOUT') this.syncError.syncFailed({ code: e.code, errno: e.errno, message: e.message, syscall: 'rbd_aio_flush' });
        throw e;
      }),
    );
  }

  discard(offset: number, length: number): Promise<void> {
    const refused = this.gate.refuse(offset, length, true);
    if (refused) return Promise.reject(refused);
    if (length === 0) return Promise.resolve();
    return this.submit('rbd_aio_discard', undefined, (id) => this.image.discard(id, offset, length));
  }

  allocation(offset: number, maxLength: number): Promise<NativeAllocation> {
    const refused = this.gate.refuseAllocation(offset);
    if (refused) return Promise.reject(refused);
    const length = Math.min(maxLength, this.size - offset);
    return this.gate.call((cb) => this.image.allocation(offset, length, cb));
  }

  sha256(offset: number, length: number): Promise<Buffer> {
    return this.digestExtents(Float64Array.of(offset, length), 'sha256');
  }

  digestExtents(extents: Float64Array, algorithm: DigestAlgorithm): Promise<Buffer> {
    const refused = this.gate.refuseDigest(extents, algorithm, DIGEST_ALGORITHMS);
    if (refused) return Promise.reject(refused);
    return this.gate.call((cb) => this.image.digestExtents(extents, algorithm, cb));
  }

  /** Waits for in-flight I/O, then closes the image (librbd writes its cache back first). Idempotent. */
  close(): Promise<void> {
    return this.gate.close(() => new Promise<void>((resolve, reject) => this.image.close((err) => (err ? reject(err) : resolve()))));
  }

  private submit(call: string, buffer: Buffer | undefined, start: (id: number) => number): Promise<void> {
    this.gate.begin();
    return this.requests.submit(call, buffer, start);
  }
}

/** One line a user can act on, for the failures of opening an image. */
function openError(err: NativeError, opts: RbdBlockStoreOptions, path: string): Error {
  const client = `client.${opts.client ?? 'admin'}`;
  const conf = opts.conf ?? 'the default ceph.conf';
  const why = (() => {
    switch (err.syscall) {
      case 'rados_conf_read_file':
        return `cannot read the Ceph config ${conf}`;
      case 'rados_connect':
        return `cannot connect to the Ceph cluster as ${client} (config ${conf}; check mon_host and the client's keyring)`;
      case 'rados_ioctx_create':
        return err.code === 'ENOENT' ? `pool ${opts.pool} does not exist` : `cannot open pool ${opts.pool}`;
      case 'rbd_open':
        return err.code === 'ENOENT' ? `image ${opts.pool}/${opts.image} does not exist (size=SIZE creates it)` : 'cannot open the image';
      case 'rbd_cache_policy':
        return (
          "the pool's or the image's config turns librbd's write-around cache on, which acknowledges writes an op timeout can then drop" +
          ' (set rbd_cache_policy writeback or rbd_cache false there, or op-timeout=0)'
        );
      default:
        return `cannot open the image (${err.syscall})`;
    }
  })();
  const e = fromNativeError(err, path);
  e.message = `${path}: ${why}: ${err.code}`;
  return e;
}
