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
  const first = Math.floor(offset / g.granularity);
  const last = Math.floor((offset + buf.length - 1) / g.granularity);
  for (;;) {
    const stores = chain.stores();
    const runs = planSources(stores, first, last);
    const copying = new Set<Promise<void>>();
    for (const r of runs) {
      if (r.source !== IMAGE) continue;
      for (let u = r.first; u < r.first + r.count; u++) {
        const claim = chain.claimOf(u);
        if (claim) copying.add(claim);
      }
    }
    if (copying.size > 0) {
      // Once durable, those units read from the newest store (a failed copy left the image as it was).
      await Promise.allSettled(copying);
      continue;
    }
    // From here to the reads being issued nothing awaits: the plan and the guard's view agree.
    const reads: Promise<void>[] = [];
    for (const r of runs) {
      const from = Math.max(offset, g.offsetOf(r.first));
      const to = Math.min(offset + buf.length, g.offsetOf(r.first) + g.runBytes(r.first, r.count));
      const part = buf.subarray(from - offset, to - offset);
      if (r.source === IMAGE) {
        const reading = options.skipHoles ? readSkippingHoles(chain.image, part, from) : chain.image.read(part, from);
        reads.push(chain.guard.track(r.first, r.first + r.count - 1, reading));
      } else {
        reads.push(stores[r.source]!.readData(part, from));
      }
    }
    await Promise.all(reads);
    return;
  }
}
