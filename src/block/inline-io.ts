/**
 * The part of a file store's I/O done on the JS thread itself: buffered writes that are not
 * FUA, and reads the page cache already holds. Handing a 4 KiB I/O to the threadpool costs
 * more than the I/O (measured here: ~2 µs for an inline 4 KiB buffered pwrite, ~11 µs of
 * CPU through the pool, most of it thread wake-ups), and the JS thread's time is what bounds
 * a target's IOPS. The native call leaves undone whatever would wait (a FUA write, a read
 * that would go to the disk, any error); those go to the pool as before. A buffered write
 * can still be made to wait (the kernel throttling a writer with too much dirty data): a
 * call that takes longer than `stallMs` and slept in the kernel turns inline I/O off for
 * `pauseMs`, so a struggling disk stalls the threadpool, not every connection. A slow call
 * that never slept was preempted by a busy CPU, which the pool would not cure: counted as
 * a stall, it switched inline I/O off for a quarter of a second at a time on a host busy
 * with several processes (measured: a replication backup sharing two cores with its
 * primary wrote 60% of its blocks through the pool, nearly all after 2-5 ms preemptions).
 * Counting the sleeps costs more than a 4 KiB write, so calls count them only for
 * `watchMs` after a slow call: the first slow call of a throttled disk is let go, the next
 * one pauses inline I/O. While a sync of the same file is in flight (a flush, a FUA write),
 * writes go to the pool from the start: on ext4 a write that needs the journal waits for
 * that sync's commit. Only small I/O: copying a megabyte costs the JS thread more than the
 * hand-off, and pool threads copy in parallel.
 */
import { native } from '../native/index.js';

/** native.transferInline's shape: with `countSleeps`, returns how often the thread slept in the kernel during the call. */
export type InlineTransfer = (fd: number, buffers: readonly Buffer[], offsets: Float64Array, flags: Uint8Array, redo: Uint8Array, countSleeps: boolean) => number;

/** Largest I/O done inline. */
export const INLINE_MAX_BYTES = 64 * 1024;

export interface InlineOp {
  buf: Buffer;
  offset: number;
  flags: number;
}

export class InlineIo {
  private offUntil = 0;
  /** Calls count their sleeps until then (a slow call was seen). */
  private watchUntil = -Infinity;
  /** Syncs of this file in flight (see syncing). */
  private syncs = 0;
  private offsets = new Float64Array(16);
  private flags = new Uint8Array(16);
  private redo = new Uint8Array(16);

  constructor(
    private readonly fd: number,
    private readonly stallMs = 2,
    private readonly pauseMs = 250,
    private readonly clock: () => number = performance.now.bind(performance),
    private readonly transfer: InlineTransfer = native.transferInline,
    private readonly watchMs = 50,
  ) {}

  /** Runs what it can of `ops` (`done` for each); returns the rest for the threadpool. */
  run<T extends InlineOp>(ops: T[], done: (op: T) => void): T[] {
    const started = this.clock();
    if (this.syncs > 0 || started < this.offUntil) return ops;
    const large = ops.filter((op) => op.buf.length > INLINE_MAX_BYTES);
    if (large.length === ops.length) return ops;
    const small = large.length === 0 ? ops : ops.filter((op) => op.buf.length <= INLINE_MAX_BYTES);
    return this.runSmall(small, done, started).concat(large);
  }

  private runSmall<T extends InlineOp>(ops: T[], done: (op: T) => void, started: number): T[] {
    const n = ops.length;
    if (this.offsets.length < n) this.grow(n);
    const bufs = new Array<Buffer>(n);
    for (let i = 0; i < n; i++) {
      const op = ops[i]!;
      bufs[i] = op.buf;
      this.offsets[i] = op.offset;
      this.flags[i] = op.flags;
    }
    const watching = started < this.watchUntil;
    const slept = this.transfer(this.fd, bufs, this.offsets, this.flags, this.redo, watching) > 0;
    const now = this.clock();
    if (now - started > this.stallMs) {
      if (slept) this.offUntil = now + this.pauseMs;
      else if (!watching) this.watchUntil = now + this.watchMs;
    }
    const rest: T[] = [];
    for (let i = 0; i < n; i++) {
      if (this.redo[i]) rest.push(ops[i]!);
      else done(ops[i]!);
    }
    return rest;
  }

  /** Whether ops are done inline now (false while paused after a stall, or while a sync is in flight). */
  get active(): boolean {
    return this.syncs === 0 && this.clock() >= this.offUntil;
  }

  /** `sync` (a flush or FUA write of this file, on the pool) is in flight until it settles: no inline I/O meanwhile. */
  syncing<T>(sync: Promise<T>): Promise<T> {
    this.syncs++;
    return sync.finally(() => this.syncs--);
  }

  private grow(n: number): void {
    const size = Math.max(n, this.offsets.length * 2);
    this.offsets = new Float64Array(size);
    this.flags = new Uint8Array(size);
    this.redo = new Uint8Array(size);
  }
}
