/**
 * The copy-on-write path into the newest point's store: before a range of the live image is
 * overwritten, the old contents of its units that the store does not hold yet are copied
 * into it and made durable, data first, then the bits that say the store holds them.
 *
 * - Nothing to do (every unit held): no promise, no I/O. (Point reads of the image the
 *   overwrite must not land under are the store's to wait for: PointStore.beforeOverwrite.)
 * - A unit another call is already copying: this call waits for that copy, it does not
 *   copy again (a unit is claimed by the first call to need it until its bit is durable).
 * - Old contents are read from the image one run of units at a time (pieces of at most
 *   MAX_PIECE_BYTES; long runs skip the image's holes), and only units that are not all
 *   zeroes are written to the data file.
 * - Group commit, in two stages that overlap: every copy whose data writes have completed
 *   joins the next data sync; every copy whose data is durable joins the next map write and
 *   map sync. One sync of each file serves every call in flight, and each stage has at most
 *   one sync running, so a burst of calls costs two syncs per group, not per call.
 */
import type { BlockDevice } from '../../block/device.js';
import { ChurnBag, type BagEntry } from '../../util/churn-bag.js';
import { ioBufferPool } from '../../util/buffer-pool.js';
import { MAX_PIECE_BYTES, readSkippingHoles } from './block-io.js';
import type { CowStore } from './cow-file.js';
import type { Geometry } from './geometry.js';

/** Units [start, start + count). */
type Run = [number, number];

interface Copy extends BagEntry {
  runs: Run[];
  first: number;
  last: number;
  /** Data writes done; true when any bytes were written (a copy of zeroes writes none). */
  written: Promise<boolean>;
  /** Settles once the units are durably held (or the copy failed). */
  done: Promise<void>;
  resolve: () => void;
  reject: (e: Error) => void;
}

export class CopyOnWrite {
  /** Claimed units not yet durably held, by copy (one per first overwrite of units after a point: churns with host writes). */
  private readonly claimed = new ChurnBag<Copy>();
  private dataStage: Copy[] = [];
  private mapStage: Copy[] = [];
  private dataBusy = false;
  private mapBusy = false;
  private idleWaiters: Array<() => void> = [];
  /** For tests and figures. */
  commits = 0;

  constructor(
    readonly cow: CowStore,
    private readonly image: BlockDevice,
    private readonly geometry: Geometry,
  ) {}

  /** Whether the store holds every unit of [first, last]. */
  holdsAll(first: number, last: number): boolean {
    return this.cow.held.nextClear(first, last + 1) < 0;
  }

  /** The copy in flight that claimed unit `u`, if any. */
  claimOf(u: number): Promise<void> | undefined {
    for (const c of this.claimed.entries) {
      if (u < c.first || u > c.last) continue;
      for (const [s, n] of c.runs) if (u >= s && u < s + n) return c.done;
    }
    return undefined;
  }

  /** Preserves units [first, last] for the store (see the file comment). */
  preserve(first: number, last: number): Promise<void> | undefined {
    // Every unit held (the usual case once a point's units were copied): nothing allocated.
    if (this.cow.held.nextClear(first, last + 1) < 0) return undefined;
    let gaps: Run[] = [...this.cow.held.clearRuns(first, last + 1)];
    const waits: Promise<void>[] = [];
    for (const copy of this.claimed.entries) {
      if (copy.last < first || copy.first > last) continue;
      let overlaps = false;
      for (const [s, n] of copy.runs) {
        const next = subtract(gaps, s, s + n);
        if (next !== gaps) overlaps = true;
        gaps = next;
      }
      if (overlaps) waits.push(copy.done);
    }
    if (gaps.length > 0) {
      const copy = this.claim(gaps);
      waits.push(copy.done);
    }
    return waits.length === 1 ? waits[0]! : Promise.all(waits).then(() => undefined);
  }

  /** Resolves once no copy is in flight. */
  idle(): Promise<void> {
    if (this.claimed.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private claim(runs: Run[]): Copy {
    let resolve!: () => void;
    let reject!: (e: Error) => void;
    const done = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const copy: Copy = { runs, first: runs[0]![0], last: runs[runs.length - 1]![0] + runs[runs.length - 1]![1] - 1, written: this.copyOut(runs), done, resolve, reject, bagIndex: -1 };
    // The caller gets a failure through its own promise (and the data stage through `written`).
    done.catch(() => undefined);
    copy.written.catch(() => undefined);
    this.claimed.add(copy);
    this.dataStage.push(copy);
    this.kickData();
    return copy;
  }

  /** Reads the runs' old contents from the image and writes their non-zero units to the data file. */
  private async copyOut(runs: Run[]): Promise<boolean> {
    const g = this.geometry;
    const perPiece = Math.max(1, Math.floor(MAX_PIECE_BYTES / g.granularity));
    let wrote = 0;
    for (const [start, count] of runs) {
      for (let u = start; u < start + count; u += perPiece) {
        const n = Math.min(perPiece, start + count - u);
        // Pooled: a fresh buffer per copy that outlived a young collection died old, and
        // under a point a second those bytes kept V8 in full collections (buffer-pool.ts).
        // Released only once read and written whole: after a failure a write may still hold it.
        const lease = ioBufferPool.take(g.runBytes(u, n));
        await readSkippingHoles(this.image, lease.buffer, g.offsetOf(u));
        wrote += await this.cow.writeNonZeroUnits(lease.buffer, u);
        lease.release();
      }
    }
    return wrote > 0;
  }

  private kickData(): void {
    if (this.dataBusy || this.dataStage.length === 0) return;
    this.dataBusy = true;
    const batch = this.dataStage.splice(0);
    void (async () => {
      const results = await Promise.allSettled(batch.map((c) => c.written));
      const ok: Copy[] = [];
      let wrote = false;
      results.forEach((r, i) => {
        if (r.status === 'rejected') return this.fail(batch[i]!, r.reason as Error);
        ok.push(batch[i]!);
        wrote ||= r.value;
      });
      try {
        if (wrote) await this.cow.syncData();
        this.mapStage.push(...ok);
      } catch (e) {
        for (const c of ok) this.fail(c, e as Error);
      }
      this.dataBusy = false;
      this.kickMap();
      this.kickData();
    })();
  }

  private kickMap(): void {
    if (this.mapBusy || this.mapStage.length === 0) return;
    this.mapBusy = true;
    const batch = this.mapStage.splice(0);
    void (async () => {
      try {
        await this.cow.commitHeld(batch.flatMap((c) => c.runs));
        this.commits++;
        for (const c of batch) this.settle(c);
      } catch (e) {
        for (const c of batch) this.fail(c, e as Error);
      }
      this.mapBusy = false;
      this.kickMap();
    })();
  }

  private settle(c: Copy): void {
    this.claimed.delete(c);
    c.resolve();
    this.wakeIdle();
  }

  /** The copy's units are unclaimed again (a later call copies them anew: the same bytes, as the image has not changed). */
  private fail(c: Copy, e: Error): void {
    this.claimed.delete(c);
    c.reject(e);
    this.wakeIdle();
  }

  private wakeIdle(): void {
    if (this.claimed.size > 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }
}

/** `gaps` without units [from, to); the same array when nothing is removed. */
function subtract(gaps: Run[], from: number, to: number): Run[] {
  let changed = false;
  const out: Run[] = [];
  for (const [s, n] of gaps) {
    const e = s + n;
    if (e <= from || s >= to) {
      out.push([s, n]);
      continue;
    }
    changed = true;
    if (s < from) out.push([s, from - s]);
    if (e > to) out.push([to, e - to]);
  }
  return changed ? out : gaps;
}
