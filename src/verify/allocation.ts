/**
 * Where an end of a verify holds nothing: chunks deallocated on both ends read as zeroes on
 * both (a sparse file, a thin LUN with LBPRZ), so they are equal and are not challenged.
 * Found by hand: verify of a 4 TiB thin pair holding 50 MiB hashed 4 TiB of zeroes on each
 * end (about 35 minutes here). Each end is asked from where its last answer ended: one
 * answer spanning a long hole serves every batch inside it.
 */
import type { AllocationExtent } from '../block/device.js';

/**
 * An end's allocation from `offset`: contiguous extents from there, as far as it chooses to
 * say (at most `maxLength`), or undefined when it cannot tell (then it is never asked again).
 */
export type AllocationQuery = (offset: number, maxLength: number) => Promise<readonly AllocationExtent[] | undefined>;

export interface ByteRange {
  offset: number;
  length: number;
}

export class AllocationView {
  /** The last answer: contiguous, ascending. */
  private known: readonly AllocationExtent[] = [];
  private unknown = false;
  /** Lookups one after another: batches in flight together ask in order, and a later one finds the answer an earlier one got. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly query: AllocationQuery,
    /** The end of what is compared: answers are asked for up to here. */
    private readonly size: number,
  ) {}

  /** The parts of [offset, offset + length) known to hold nothing, ascending, adjacent ones merged. */
  holes(offset: number, length: number): Promise<ByteRange[]> {
    const result = this.queue.then(() => this.lookUp(offset, offset + length));
    this.queue = result.catch(() => undefined);
    return result;
  }

  private async lookUp(offset: number, end: number): Promise<ByteRange[]> {
    const out: ByteRange[] = [];
    for (let at = offset; at < end && !this.unknown; ) {
      let extent = extentAt(this.known, at);
      if (!extent) {
        const answer = await this.query(at, this.size - at);
        if (answer === undefined) this.unknown = true;
        this.known = answer ?? [];
        extent = extentAt(this.known, at);
        // An answer that does not start at `at` says nothing about it.
        if (!extent) break;
      }
      const stop = Math.min(end, extent.offset + extent.length);
      const last = out[out.length - 1];
      if (!extent.mapped) {
        if (last && last.offset + last.length === at) last.length += stop - at;
        else out.push({ offset: at, length: stop - at });
      }
      at = stop;
    }
    return out;
  }
}

/** The last of `ranges` (ascending) starting at or before `at`, by binary search; -1 if none. */
function lastStartingBy(ranges: readonly ByteRange[], at: number): number {
  let lo = 0;
  let hi = ranges.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (ranges[mid]!.offset <= at) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

function extentAt(known: readonly AllocationExtent[], at: number): AllocationExtent | undefined {
  const e = known[lastStartingBy(known, at)];
  return e && at < e.offset + e.length ? e : undefined;
}

/** Whether [offset, offset + length) lies within one of `holes` (ascending, merged). */
export function withinHoles(holes: readonly ByteRange[], offset: number, length: number): boolean {
  const h = holes[lastStartingBy(holes, offset)];
  return h !== undefined && offset + length <= h.offset + h.length;
}
