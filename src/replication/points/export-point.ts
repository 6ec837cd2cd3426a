/**
 * A point's image as a sparse file: read in pieces (the live image's holes skipped), and
 * only the 4 KiB blocks that are not all zeroes written, so the file's holes are exactly
 * where the point reads zeroes (at file-system block granularity). Then the size is set,
 * the file fsynced and its directory synced.
 */
import { dirname } from 'node:path';
import type { DurableFiles } from '../../block/durable-file.js';
import { MAX_PIECE_BYTES, allZero, writeFully } from './block-io.js';
import { readPoint, type PointChain } from './point-reader.js';

/** The block size holes are found at: the file systems Tandem runs on allocate 4 KiB blocks. */
export const EXPORT_BLOCK = 4096;

export async function exportPoint(chain: PointChain, files: DurableFiles, path: string): Promise<{ bytes: number; allocatedBytes: number }> {
  const size = chain.geometry.volumeSize;
  const piece = Math.max(EXPORT_BLOCK, MAX_PIECE_BYTES - (MAX_PIECE_BYTES % chain.geometry.granularity));
  const fh = await files.open(path, 'w', 0o600);
  let allocatedBytes = 0;
  try {
    const buf = Buffer.allocUnsafe(Math.min(piece, size));
    for (let offset = 0; offset < size; offset += piece) {
      const part = buf.subarray(0, Math.min(piece, size - offset));
      await readPoint(chain, part, offset, { skipHoles: true });
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

function roundUpToBlocks(n: number): number {
  return Math.ceil(n / EXPORT_BLOCK) * EXPORT_BLOCK;
}
