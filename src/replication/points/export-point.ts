/**
 * A point's image as a sparse file: read in pieces, and only the 4 KiB blocks that are not
 * all zeroes written, so the file's holes are exactly where the point reads zeroes (at
 * file-system block granularity). Where the point reads zeroes for sure (point-allocation.ts)
 * nothing is read or scanned: a 4 TiB thin point holding 50 MiB took 12 minutes of
 * zero-filling and scanning. Then the size is set, the file fsynced and its directory synced.
 * The point is read a piece at a time through `withChain` (the store's reader lock, taken
 * per piece, and the chain as it is then): an export of a large point never holds off a
 * prune, nor the takes and copies-on-write queued behind it, for longer than one piece.
 */
import { dirname } from 'node:path';
import type { DurableFiles } from '../../block/durable-file.js';
import { MAX_PIECE_BYTES, allZero, writeFully } from './block-io.js';
import { pointAllocation } from './point-allocation.js';
import { readPoint, type PointChain } from './point-reader.js';

/** The block size holes are found at: the file systems Tandem runs on allocate 4 KiB blocks. */
export const EXPORT_BLOCK = 4096;

/** Runs `fn` with the point's chain as it is now, no prune or restore changing it meanwhile. */
export type WithChain = <T>(fn: (chain: PointChain) => Promise<T>) => Promise<T>;

export async function exportPoint(withChain: WithChain, files: DurableFiles, path: string): Promise<{ bytes: number; allocatedBytes: number }> {
  // Asked first: a point the store does not hold fails before the file is created.
  const geometry = await withChain(async (chain) => chain.geometry);
  const size = geometry.volumeSize;
  // Whole units (one at least: above 4 MiB a unit is more than MAX_PIECE_BYTES, and the rounding gives 0).
  const piece = Math.max(EXPORT_BLOCK, geometry.granularity, MAX_PIECE_BYTES - (MAX_PIECE_BYTES % geometry.granularity));
  const fh = await files.open(path, 'w', 0o600);
  let allocatedBytes = 0;
  try {
    const buf = Buffer.allocUnsafe(Math.min(piece, size));
    const g = geometry.granularity;
    for (let offset = 0; offset < size; offset += piece) {
      const from = offset;
      const read = await withChain(async (chain) => {
        // Offsets stay multiples of the granularity (and so of EXPORT_BLOCK): a jump lands on the unit of the data.
        const start = Math.max(from, Math.floor((await nextDataAt(chain, from, size)) / g) * g);
        if (start >= size) return undefined;
        const part = buf.subarray(0, Math.min(piece, size - start));
        await readPoint(chain, part, start, { skipHoles: true });
        return { start, part };
      });
      if (!read) break;
      offset = read.start;
      const part = read.part;
      const writes: Promise<unknown>[] = [];
      let runStart = -1;
      const flush = (end: number) => {
        if (runStart < 0) return;
        writes.push(writeFully(fh, part.subarray(runStart, end), offset + runStart));
        allocatedBytes += end - runStart;
        runStart = -1;
      };
      for (let at = 0; at < part.length; at += EXPORT_BLOCK) {
        if (allZero(part.subarray(at, Math.min(part.length, at + EXPORT_BLOCK)))) flush(at);
        else if (runStart < 0) runStart = at;
      }
      flush(part.length);
      await Promise.all(writes);
    }
    await fh.truncate(size);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await files.syncDir(dirname(path) || '.');
  return { bytes: size, allocatedBytes: roundUpToBlocks(allocatedBytes) };
}

/** Where, from `offset`, the point may read anything but zeroes (`end`: nowhere). */
async function nextDataAt(chain: PointChain, offset: number, end: number): Promise<number> {
  for (let at = offset; at < end; ) {
    const a = await pointAllocation(chain, at, end - at);
    if (a.mapped) return at;
    at += a.length;
  }
  return end;
}

function roundUpToBlocks(n: number): number {
  return Math.ceil(n / EXPORT_BLOCK) * EXPORT_BLOCK;
}
