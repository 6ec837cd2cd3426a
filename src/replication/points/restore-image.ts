/**
 * Writing a point's image back onto the live image. Only units some store of the chain
 * (the point's own, and every newer one) holds can differ from the point: the others read
 * from the image already. For each of those, in pieces, the point's bytes are compared with
 * the image's and only differing units are written; then the image is flushed. Nothing here
 * changes a store, and the stores are the only source, so running it again after a crash
 * (opening finishes a restore the catalogue says was started) is harmless.
 */
import { MAX_PIECE_BYTES, pointIoBudget } from './block-io.js';
import type { CowStore } from './cow-file.js';
import { IMAGE, planSources, type PointChain } from './point-reader.js';

export interface RestoreResult {
  /** Units written, as runs [first, count]. */
  changed: Array<[number, number]>;
  /** Units the chain's stores hold: all that could have differed. */
  candidates: Array<[number, number]>;
}

export async function restoreImage(chain: PointChain): Promise<RestoreResult> {
  const g = chain.geometry;
  const stores = chain.stores();
  const perPiece = Math.max(1, Math.floor(MAX_PIECE_BYTES / g.granularity));
  const changed: Array<[number, number]> = [];
  const candidates: Array<[number, number]> = [];
  const budget = pointIoBudget();
  let u = nextHeld(stores, 0);
  while (u >= 0) {
    const end = Math.min(g.units, u + perPiece);
    for (const run of planSources(stores, u, end - 1)) {
      if (run.source === IMAGE) continue;
      candidates.push([run.first, run.count]);
      const offset = g.offsetOf(run.first);
      const length = g.runBytes(run.first, run.count);
      await budget.start(2 * length, async () => {
        const want = Buffer.allocUnsafe(length);
        const have = Buffer.allocUnsafe(length);
        await Promise.all([stores[run.source]!.readData(want, offset), chain.image.read(have, offset)]);
        const differs = (k: number) => {
          const from = k * g.granularity;
          const to = Math.min(length, from + g.granularity);
          return !want.subarray(from, to).equals(have.subarray(from, to));
        };
        const writes: Promise<void>[] = [];
        for (let i = 0; i < run.count; ) {
          if (!differs(i)) {
            i++;
            continue;
          }
          let j = i + 1;
          while (j < run.count && differs(j)) j++;
          writes.push(chain.image.write(want.subarray(i * g.granularity, Math.min(length, j * g.granularity)), offset + i * g.granularity));
          changed.push([run.first + i, j - i]);
          i = j;
        }
        await Promise.all(writes);
      });
    }
    u = end < g.units ? nextHeld(stores, end) : -1;
  }
  await budget.drain();
  await chain.image.flush();
  return { changed: merged(changed), candidates: merged(candidates) };
}

/** Runs sorted and joined where they touch. */
function merged(runs: Array<[number, number]>): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (const [first, count] of [...runs].sort((a, b) => a[0] - b[0])) {
    const last = out[out.length - 1];
    if (last && last[0] + last[1] === first) last[1] += count;
    else out.push([first, count]);
  }
  return out;
}

/** The first unit at or after `from` that some store of the chain holds, or -1. */
function nextHeld(stores: readonly CowStore[], from: number): number {
  let best = -1;
  for (const s of stores) {
    const n = s.held.nextSet(from);
    if (n >= 0 && (best < 0 || n < best)) best = n;
  }
  return best;
}
