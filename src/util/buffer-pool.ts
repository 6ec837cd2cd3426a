/**
 * Large I/O buffers reused instead of allocated per command. A fresh 1 MiB Buffer per
 * write costs page faults and, being external memory, drives V8 into a full GC every few
 * dozen commands; a pooled one costs neither.
 *
 * Buffers come in power-of-two size classes from `minBytes` to `maxBytes`; a lease is a view
 * of exactly the length asked for. A lease starts with one reference, its owner's; anyone
 * who keeps the bytes past the call that lent them takes another with `retain()`. The
 * buffer goes back to the pool when the last reference is dropped, never before. The pool
 * keeps at most `maxIdleBytes` of idle buffers (the rest are left to the GC), so idle
 * memory is bounded; buffers in use are bounded by whoever takes them (the target's
 * per-connection Data-Out budget). A lease never released is simply collected: it is
 * never reused, so forgetting a release wastes memory but cannot corrupt data.
 */

/** What a borrower of a lent buffer calls to keep it past the call that lent it. */
export interface BufferHold {
  /**
   * Keeps the buffer from being reused until the returned function is called. Each
   * returned function releases once; calling it again does nothing.
   */
  retain(): () => void;
}

const NOTHING_TO_RELEASE = (): void => {};

/**
 * The hold for memory no pool ever hands out again (a plain allocation, a view of a socket
 * read): keeping it needs no bookkeeping. Passing it rather than no hold tells a device it
 * may keep the bytes without copying them.
 */
export const UNPOOLED_HOLD: BufferHold = Object.freeze({ retain: () => NOTHING_TO_RELEASE });

export interface BufferPoolOptions {
  /** Smallest request served from the pool; smaller leases are plain allocations. */
  minBytes: number;
  /** Largest request served from the pool; larger leases are plain allocations. */
  maxBytes: number;
  /** Idle bytes the pool keeps for reuse. */
  maxIdleBytes: number;
}

export class BufferLease implements BufferHold {
  private refs = 1;
  private ownerHolds = true;

  /** @internal Made by BufferPool.take. */
  constructor(
    /** Exactly the bytes asked for. */
    readonly buffer: Buffer,
    private readonly backing: Buffer,
    private readonly pool: BufferPool | undefined,
  ) {}

  /** Whether this lease's buffer goes back to a pool (false: a plain allocation). */
  get pooled(): boolean {
    return this.pool !== undefined;
  }

  retain(): () => void {
    if (this.refs === 0) throw new Error('retain() on a buffer already back in its pool');
    this.refs++;
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      this.drop();
    };
  }

  /** Drops the owner's reference (the one the lease was taken with); later calls do nothing. */
  release(): void {
    if (!this.ownerHolds) return;
    this.ownerHolds = false;
    this.drop();
  }

  private drop(): void {
    if (--this.refs === 0) this.pool?.give(this.backing);
  }
}

export class BufferPool {
  private readonly idle = new Map<number, Buffer[]>();
  private idleTotal = 0;

  constructor(readonly options: BufferPoolOptions) {
    if (!isPowerOfTwo(options.minBytes) || !isPowerOfTwo(options.maxBytes) || options.minBytes > options.maxBytes) {
      throw new RangeError('pool size classes must be powers of two, minBytes <= maxBytes');
    }
  }

  /** Bytes a lease of `bytes` occupies: its size class when pooled, else `bytes`. */
  footprint(bytes: number): number {
    return this.pools(bytes) ? classOf(bytes, this.options.minBytes) : bytes;
  }

  /** A buffer of `bytes` (contents unspecified), with the caller holding its one reference. */
  take(bytes: number): BufferLease {
    if (!this.pools(bytes)) {
      const b = Buffer.allocUnsafe(bytes);
      return new BufferLease(b, b, undefined);
    }
    const size = classOf(bytes, this.options.minBytes);
    const backing = this.idle.get(size)?.pop();
    if (backing) this.idleTotal -= size;
    const b = backing ?? Buffer.allocUnsafeSlow(size);
    return new BufferLease(bytes === size ? b : b.subarray(0, bytes), b, this);
  }

  /** Idle bytes held for reuse. */
  get idleBytes(): number {
    return this.idleTotal;
  }

  /** @internal A lease's last reference was dropped. */
  give(backing: Buffer): void {
    const size = backing.length;
    if (this.idleTotal + size > this.options.maxIdleBytes) return;
    let list = this.idle.get(size);
    if (!list) this.idle.set(size, (list = []));
    list.push(backing);
    this.idleTotal += size;
  }

  private pools(bytes: number): boolean {
    return bytes >= this.options.minBytes && bytes <= this.options.maxBytes;
  }
}

function isPowerOfTwo(n: number): boolean {
  return Number.isInteger(n) && n > 0 && 2 ** Math.round(Math.log2(n)) === n;
}

function classOf(bytes: number, min: number): number {
  let size = min;
  while (size < bytes) size *= 2;
  return size;
}

/**
 * The process's pool for command data: Data-Out buffers (src/target), large read buffers
 * (src/scsi), a delta pass's chunk moves and the recovery points' copies-on-write
 * (src/replication). 4 KiB up to the largest transfer; idle buffers up to 64 MiB, about
 * what one connection at queue depth 32 with 1 MiB commands keeps in flight.
 *
 * From 4 KiB, not 64: a backup receives its primary's writes as solicited Data-Out of
 * 4-64 KiB, and allocated fresh, those that outlived a young collection died old. Their
 * bytes count against V8's old-generation limit until a full collection, so after the
 * backup's first full collection (which sets that limit from its small heap) it ran one
 * every 60-100 ms under load for as long as the load lasted (docs/performance.md,
 * fifty-third session).
 */
export const ioBufferPool = new BufferPool({ minBytes: 4 * 1024, maxBytes: 32 * 1024 * 1024, maxIdleBytes: 64 * 1024 * 1024 });
