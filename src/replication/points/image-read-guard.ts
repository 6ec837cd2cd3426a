/**
 * Reads of the live image on behalf of a point (a unit no store holds reads as the image):
 * each is registered, synchronously, before it is issued, and every overwrite of units it
 * covers waits for it (PointStore.beforeOverwrite) — whether that overwrite's copy-on-write
 * claims the units, another overlapping one's already did, or they are held already. So a
 * point's reader never sees a write that lands while it reads.
 */
import { ChurnBag, type BagEntry } from '../../util/churn-bag.js';

interface ImageRead extends BagEntry {
  first: number;
  last: number;
  done: Promise<void>;
}

export class ImageReadGuard {
  private readonly reads = new ChurnBag<ImageRead>();

  /** Registers a read of units [first, last] that settles with `reading`; returns `reading`. */
  track<T>(first: number, last: number, reading: Promise<T>): Promise<T> {
    // One reaction per read: it leaves the bag as `done` settles, before any waiter on it runs.
    const end = (): void => void this.reads.delete(read);
    const read: ImageRead = { first, last, done: reading.then(end, end), bagIndex: -1 };
    this.reads.add(read);
    return reading;
  }

  /** Settles once every registered read overlapping units [first, last] has; undefined when none overlaps. */
  settledOver(first: number, last: number): Promise<void> | undefined {
    if (this.reads.size === 0) return undefined;
    const waits: Promise<void>[] = [];
    for (const r of this.reads.entries) if (r.first <= last && first <= r.last) waits.push(r.done);
    return waits.length === 0 ? undefined : Promise.all(waits).then(() => undefined);
  }
}
