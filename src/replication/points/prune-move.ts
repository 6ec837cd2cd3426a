/**
 * Before point k's store goes, what the next older point k-1 still reads from it moves
 * there: every unit k holds and k-1 does not. Data first (copied in pieces, many at once
 * within an I/O budget, units of zeroes not written, then one data sync of k-1), then k-1's
 * bits (one map write and sync). Until the catalogue drops k, both stores hold those units
 * with the same bytes (point k-1 read them from k before and reads them from itself after),
 * so a crash at any step leaves every listed point reading what it read.
 */
import { MAX_PIECE_BYTES, pointIoBudget } from './block-io.js';
import type { CowStore } from './cow-file.js';
import type { Geometry } from './geometry.js';

/** Moves what `older` needs from `from` into `older`; returns the bytes of units moved (of the point's data: not units a growth marked). */
export async function moveToOlder(from: CowStore, older: CowStore, g: Geometry): Promise<number> {
  const perPiece = Math.max(1, Math.floor(MAX_PIECE_BYTES / g.granularity));
  const moved: Array<[number, number]> = [];
  const budget = pointIoBudget();
  let bytes = 0;
  let wrote = 0;
  for (const [start, count] of from.held.runs()) {
    // The units of this run `older` lacks, in pieces.
    for (const [s, n] of older.held.clearRuns(start, start + count)) {
      for (let first = s; first < s + n; first += perPiece) {
        const units = Math.min(perPiece, s + n - first);
        moved.push([first, units]);
        const data = from.dataBytes(first, units);
        // Units a growth marked held past `from`'s volume read zeroes: only their bits move.
        if (data === 0) continue;
        bytes += data;
        const length = g.runBytes(first, units);
        await budget.start(length, async () => {
          const buf = Buffer.allocUnsafe(length);
          await from.readData(buf, g.offsetOf(first));
          wrote += await older.writeNonZeroUnits(buf, first);
        });
      }
    }
  }
  await budget.drain();
  if (moved.length === 0) return 0;
  if (wrote > 0) await older.syncData();
  await older.commitHeld(moved);
  return bytes;
}
