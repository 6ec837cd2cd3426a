/**
 * Reading a point's image. Point j reads unit u from the first store among j, j+1, …,
 * newest that holds u, else from the live image. A unit the newest store is copying right
 * now (claimed, not yet held) is read once the copy is durable, from the store; image reads
 * are registered with the ImageReadGuard in the same tick as the plan that chose them, so a
 * copy-on-write claiming their units later waits for them: a reader never sees a later write.
 */
import type { BlockDevice } from '../../block/device.js';
import { readSkippingHoles } from './block-io.js';
import type { CowStore } from './cow-file.js';
import type { Geometry } from './geometry.js';
import type { ImageReadGuard } from './image-read-guard.js';

/** The stores a point reads through: its own first, the newest last. */
export interface PointChain {
  geometry: Geometry;
  image: BlockDevice;
  guard: ImageReadGuard;
  /** The stores of the point and every newer one, as they are now (a take may add one while a reader waits). */
  stores(): readonly CowStore[];
  /** The copy in flight that claimed unit `u` of the newest store, if any. */
  claimOf(u: number): Promise<void> | undefined;
}

/** Reads from the live image. */
export const IMAGE = -1;

/** Units [first, first + count) all read from `source` (an index into the chain's stores, or IMAGE). */
export interface SourceRun {
  first: number;
  count: number;
  source: number;
}

/** Where each unit of [first, last] reads from, in runs. */
export function planSources(stores: readonly CowStore[], first: number, last: number): SourceRun[] {
  const count = last - first + 1;
  const source = new Int32Array(count).fill(IMAGE);
  // Newest to oldest, so the oldest store holding a unit (the first from the point on) wins.
  for (let k = stores.length - 1; k >= 0; k--) {
    for (const [s, n] of stores[k]!.held.runs(first, last + 1)) source.fill(k, s - first, s - first + n);
  }
  const runs: SourceRun[] = [];
  for (let i = 0; i < count; ) {
    let j = i + 1;
    while (j < count && source[j] === source[i]) j++;
    runs.push({ first: first + i, count: j - i, source: source[i]! });
    i = j;
  }
  return runs;
}

export interface ReadOptions {
  /** Image reads skip the image's holes (for long reads: exports). */
  skipHoles?: boolean;
}

/** Fills `buf` with the point's bytes from `offset` (the caller checked the range). */
export async function readPoint(chain: PointChain, buf: Buffer, offset: number, options: ReadOptions = {}): Promise<void> {
  if (buf.length === 0) return;
  const g = chain.geometry;
  const end = offset + buf.length;
  /** Reads the bytes of units [first, last] that fall in the caller's range, from `read(part, at)`. */
  const readUnits = (first: number, last: number, read: (part: Buffer, at: number) => Promise<void>): Promise<void> => {
    const from = Math.max(offset, g.offsetOf(first));
    const to = Math.min(end, g.offsetOf(first) + g.runBytes(first, last - first + 1));
    return read(buf.subarray(from - offset, to - offset), from);
  };
  let pending: Array<[number, number]> = [[Math.floor(offset / g.granularity), Math.floor((end - 1) / g.granularity)]];
  while (pending.length > 0) {
    // From planning to issuing every read nothing awaits: the plan and the guard's view agree.
    const stores = chain.stores();
    const reads: Promise<void>[] = [];
    const copying = new Set<Promise<void>>();
    const again: Array<[number, number]> = [];
    for (const [first, last] of pending) {
      for (const r of planSources(stores, first, last)) {
        const runEnd = r.first + r.count;
        if (r.source !== IMAGE) {
          const store = stores[r.source]!;
          reads.push(readUnits(r.first, runEnd - 1, (part, at) => store.readData(part, at)));
          continue;
        }
        // Units the newest store is copying are read from it once the copy is durable; the rest from the image now.
        for (let u = r.first; u < runEnd; ) {
          const claim = chain.claimOf(u);
          let v = u + 1;
          if (claim) {
            copying.add(claim);
            for (let c = chain.claimOf(v); v < runEnd && c; c = chain.claimOf(++v)) copying.add(c);
            again.push([u, v - 1]);
          } else {
            while (v < runEnd && !chain.claimOf(v)) v++;
            const [a, z] = [u, v - 1];
            reads.push(chain.guard.track(a, z, readUnits(a, z, (part, at) => (options.skipHoles ? readSkippingHoles(chain.image, part, at) : chain.image.read(part, at)))));
          }
          u = v;
        }
      }
    }
    await Promise.all(reads);
    // A failed copy leaves its units unclaimed, and the image as it was: the next plan reads them from there.
    await Promise.allSettled(copying);
    pending = again;
  }
}
