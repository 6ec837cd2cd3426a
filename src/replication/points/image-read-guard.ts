/**
 * Reads of the live image on behalf of a point (a unit no store holds reads as the image):
 * each is registered, synchronously, before it is issued, and a copy-on-write that claims
 * units of it waits for it before the overwrite it guards may proceed. So a point's reader
 * never sees a write that lands while it reads.
 */
interface ImageRead {
  first: number;
  last: number;
  done: Promise<void>;
}

export class ImageReadGuard {
  private readonly reads = new Set<ImageRead>();

  /** Registers a read of units [first, last] that settles with `reading`; returns `reading`. */
  track<T>(first: number, last: number, reading: Promise<T>): Promise<T> {
    const read: ImageRead = {
      first,
      last,
      done: reading.then(
        () => undefined,
        () => undefined,
      ),
    };
    this.reads.add(read);
    void read.done.then(() => this.reads.delete(read));
    return reading;
  }

  /** The registered reads overlapping units [first, last]. */
  overlapping(first: number, last: number): Promise<void>[] {
    const out: Promise<void>[] = [];
    for (const r of this.reads) if (r.first <= last && first <= r.last) out.push(r.done);
    return out;
  }
}
