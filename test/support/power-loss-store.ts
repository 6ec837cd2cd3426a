/**
 * A BlockDevice that forgets at a power loss: a disk with a volatile write cache.
 *
 * Per 512-byte block it keeps the content reads see (the volatile view) and the content
 * that would survive a power loss (the durable view). The durability contract it enforces
 * is the one the SCSI layer promises a host, and nothing more:
 * - a write (or discard) changes the volatile view when it completes, not before (while
 *   in flight it has not happened yet; in-flight operations complete in any order);
 * - a FUA write is durable when it completes;
 * - a flush makes durable exactly the writes and discards that had COMPLETED when the flush
 *   was issued (one still in flight then is not covered), once the flush completes;
 * - a discard deallocates (reads return zeroes) and is durable like a write.
 * `crash()` powers the store off and returns the disk as it comes back: the durable view,
 * and with `keep: 'some'` also a random subset of the non-durable writes, block by block
 * (a real disk may have written any of its cache back, so the contract must hold either
 * way; a write may come back torn at block granularity).
 *
 * With a SimPlace every operation completes at a step the test's scheduler chooses;
 * without one, at once (like MemoryBlockStore).
 */
import { DIGEST_ALGORITHMS, digestLength, digestParts, type DigestAlgorithm } from '../../src/block/digest.js';
import type { BlockDevice, BlockIoError } from '../../src/block/device.js';
import { blockError, checkRange, refuseDigestRequest } from '../../src/block/errors.js';
import { never, onPlace, randomBelow, type Rng, type SimPlace } from './sim-scheduler.js';

export const POWER_LOSS_BLOCK = 512;

/** One block's content at some time: `data` undefined = deallocated (reads as zeroes). */
interface Version {
  stamp: number;
  data: Buffer | undefined;
}

/** A write or discard: `blocks` is fixed when it is applied (its completion). */
interface Op {
  offset: number;
  length: number;
  data: Buffer | undefined;
  stamp: number;
  blocks: Map<number, Buffer | undefined> | undefined;
}

export type CrashKeep = 'none' | 'some';

export interface PowerLossStoreOptions {
  size: number;
  path?: string;
  place?: SimPlace;
}

export interface CrashOptions {
  /** 'none': only durable content survives; 'some': plus a random subset of the rest (needs rng). */
  keep: CrashKeep;
  rng?: Rng;
  /** Where the store that comes back runs. */
  place?: SimPlace;
}

export class PowerLossBlockStore implements BlockDevice {
  readonly size: number;
  readonly readOnly = false;
  readonly canDiscard = true;
  readonly path: string;
  private readonly place: SimPlace | undefined;
  private readonly cur: Array<Version | undefined>;
  private readonly dur: Array<Version | undefined>;
  /** Applied, not yet durable, in stamp order. */
  private notDurable: Op[] = [];
  /** Issued, not yet applied. */
  private readonly inflight = new Set<Op>();
  private stamp = 0;
  private closed = false;
  private dead = false;
  /** Changes applied so far (the volatile view changes with each). */
  version = 0;
  /** Counts for assertions. */
  flushCount = 0;
  fuaWriteCount = 0;

  constructor(opts: PowerLossStoreOptions) {
    if (opts.size % POWER_LOSS_BLOCK !== 0) throw new RangeError(`size must be a multiple of ${POWER_LOSS_BLOCK}`);
    this.size = opts.size;
    this.path = opts.path ?? 'power-loss';
    this.place = opts.place;
    this.cur = new Array<Version | undefined>(opts.size / POWER_LOSS_BLOCK).fill(undefined);
    this.dur = new Array<Version | undefined>(opts.size / POWER_LOSS_BLOCK).fill(undefined);
  }

  /** Writes and discards not durable yet (applied or in flight). */
  get volatileOps(): number {
    return this.notDurable.length + this.inflight.size;
  }

  read(buf: Buffer, offset: number): Promise<void> {
    if (this.dead) return never();
    const bad = this.check(offset, buf.length, false);
    if (bad) return Promise.reject(bad);
    return onPlace(this.place, 'read', () => this.copyOut(this.cur, buf, offset));
  }

  async readv(bufs: readonly Buffer[], offset: number): Promise<void> {
    const all = Buffer.alloc(bufs.reduce((n, b) => n + b.length, 0));
    await this.read(all, offset);
    let at = 0;
    for (const b of bufs) {
      all.copy(b, 0, at, at + b.length);
      at += b.length;
    }
  }

  write(buf: Buffer, offset: number, fua = false): Promise<void> {
    return this.change(offset, buf.length, Buffer.from(buf), fua);
  }

  writev(bufs: readonly Buffer[], offset: number, fua = false): Promise<void> {
    return this.change(offset, bufs.reduce((n, b) => n + b.length, 0), Buffer.concat(bufs), fua);
  }

  discard(offset: number, length: number): Promise<void> {
    return this.change(offset, length, undefined, false);
  }

  flush(): Promise<void> {
    if (this.dead) return never();
    const bad = this.check(0, 0, false);
    if (bad) return Promise.reject(bad);
    // Covers what has completed by now, not what is still in flight.
    const covered = [...this.notDurable];
    return onPlace(this.place, 'flush', () => {
      for (const op of covered) this.makeDurable(op);
      this.flushCount++;
    });
  }

  async allocation(offset: number, maxLength: number): Promise<{ mapped: boolean; length: number }> {
    if (this.dead) return never();
    const bad = this.check(offset, 0, false);
    if (bad) throw bad;
    if (offset >= this.size) throw blockError('EINVAL', `offset ${offset} at or beyond end of device (${this.path})`);
    const limit = Math.min(offset + maxLength, this.size);
    let b = Math.floor(offset / POWER_LOSS_BLOCK);
    const mapped = this.cur[b]?.data !== undefined;
    let end = (b + 1) * POWER_LOSS_BLOCK;
    while (end < limit && (this.cur[++b]?.data !== undefined) === mapped) end += POWER_LOSS_BLOCK;
    return { mapped, length: Math.min(end, limit) - offset };
  }

  get digestAlgorithms(): readonly DigestAlgorithm[] {
    return DIGEST_ALGORITHMS;
  }

  async sha256(offset: number, length: number): Promise<Buffer> {
    return this.digestExtents(Float64Array.of(offset, length), 'sha256');
  }

  /** Digests of what reads see (the volatile view), as any store's. */
  async digestExtents(extents: Float64Array, algorithm: DigestAlgorithm): Promise<Buffer> {
    if (this.dead) return never();
    const refused = refuseDigestRequest(extents, algorithm, this.digestAlgorithms, this.path, (offset, length) => this.check(offset, length, false));
    if (refused) throw refused;
    const size = digestLength(algorithm);
    const out = Buffer.allocUnsafe((extents.length / 2) * size);
    for (let i = 0; i < extents.length; i += 2) {
      const buf = Buffer.alloc(extents[i + 1]!);
      this.copyOut(this.cur, buf, extents[i]!);
      digestParts(algorithm, [buf], out, (i / 2) * size);
    }
    return out;
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  /** The whole volatile image (what reads return now), synchronously: for test assertions. */
  image(): Buffer {
    const b = Buffer.alloc(this.size);
    this.copyOut(this.cur, b, 0);
    return b;
  }

  /** The whole durable image (what a power loss with keep 'none' would leave). */
  durableImage(): Buffer {
    const b = Buffer.alloc(this.size);
    this.copyOut(this.dur, b, 0);
    return b;
  }

  /**
   * Power loss: this store is dead from now on (its operations never complete) and the
   * returned one holds what survived, all of it durable.
   */
  crash(options: CrashOptions): PowerLossBlockStore {
    this.dead = true;
    const survived = this.dur.map((v) => (v ? { ...v } : undefined));
    if (options.keep === 'some') {
      const rng = options.rng;
      if (!rng) throw new Error("keep 'some' needs an rng");
      let stamp = this.stamp;
      // In-flight writes may have reached the medium too; they land after the applied ones.
      const candidates = [...this.notDurable, ...[...this.inflight].map((op) => ({ ...op, stamp: ++stamp, blocks: this.blocksOf(op, this.cur) }))];
      for (const op of candidates) {
        for (const [b, data] of op.blocks!) {
          if (randomBelow(rng, 2) === 0) continue;
          if ((survived[b]?.stamp ?? 0) < op.stamp) survived[b] = { stamp: op.stamp, data };
        }
      }
    }
    const next = new PowerLossBlockStore({ size: this.size, path: this.path, ...(options.place ? { place: options.place } : {}) });
    survived.forEach((v, b) => {
      next.cur[b] = v;
      next.dur[b] = v;
    });
    next.stamp = this.stamp + this.inflight.size + 1;
    return next;
  }

  private change(offset: number, length: number, data: Buffer | undefined, fua: boolean): Promise<void> {
    if (this.dead) return never();
    const bad = this.check(offset, length, true);
    if (bad) return Promise.reject(bad);
    const op: Op = { offset, length, data, stamp: 0, blocks: undefined };
    this.inflight.add(op);
    return onPlace(this.place, data ? (fua ? 'write-fua' : 'write') : 'discard', () => {
      this.inflight.delete(op);
      op.stamp = ++this.stamp;
      this.version++;
      op.blocks = this.blocksOf(op, this.cur);
      for (const [b, d] of op.blocks) this.cur[b] = { stamp: op.stamp, data: d };
      if (fua) {
        this.fuaWriteCount++;
        this.durable(op);
      } else {
        this.notDurable.push(op);
      }
    });
  }

  private makeDurable(op: Op): void {
    const i = this.notDurable.indexOf(op);
    if (i < 0) return;
    this.notDurable.splice(i, 1);
    this.durable(op);
  }

  private durable(op: Op): void {
    for (const [b, data] of op.blocks!) if ((this.dur[b]?.stamp ?? 0) < op.stamp) this.dur[b] = { stamp: op.stamp, data };
  }

  /** The op's effect per block, partial blocks merged with `base`. */
  private blocksOf(op: Op, base: Array<Version | undefined>): Map<number, Buffer | undefined> {
    const out = new Map<number, Buffer | undefined>();
    const end = op.offset + op.length;
    for (let b = Math.floor(op.offset / POWER_LOSS_BLOCK); b * POWER_LOSS_BLOCK < end; b++) {
      const start = b * POWER_LOSS_BLOCK;
      const from = Math.max(op.offset, start);
      const to = Math.min(end, start + POWER_LOSS_BLOCK);
      if (from === start && to === start + POWER_LOSS_BLOCK) {
        out.set(b, op.data ? Buffer.from(op.data.subarray(from - op.offset, to - op.offset)) : undefined);
        continue;
      }
      const block = Buffer.alloc(POWER_LOSS_BLOCK);
      base[b]?.data?.copy(block);
      if (op.data) op.data.copy(block, from - start, from - op.offset, to - op.offset);
      else block.fill(0, from - start, to - start);
      out.set(b, block);
    }
    return out;
  }

  private copyOut(view: Array<Version | undefined>, buf: Buffer, offset: number): void {
    for (let done = 0; done < buf.length; ) {
      const at = offset + done;
      const b = Math.floor(at / POWER_LOSS_BLOCK);
      const within = at - b * POWER_LOSS_BLOCK;
      const take = Math.min(POWER_LOSS_BLOCK - within, buf.length - done);
      const data = view[b]?.data;
      if (data) data.copy(buf, done, within, within + take);
      else buf.fill(0, done, done + take);
      done += take;
    }
  }

  private check(offset: number, length: number, writes: boolean): BlockIoError | null {
    if (this.closed) return blockError('EBADF', `store closed (${this.path})`);
    if (writes && this.readOnly) return blockError('EROFS', `store is read-only (${this.path})`);
    return checkRange(offset, length, this.size, this.path);
  }
}
