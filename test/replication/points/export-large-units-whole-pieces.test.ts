/**
 * Export reads a point in pieces of whole copy-on-write units, at most 4 MiB (MAX_PIECE_BYTES)
 * or one unit where a unit is larger. With units above 4 MiB (granularity up to 64 MiB) the
 * piece was rounded down to 0, and export fell back to 4 KiB pieces: a pointAllocation and a
 * readPoint for every 4 KiB, thousands of image reads where a handful do.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MAX_PIECE_BYTES } from '../../../src/replication/points/block-io.js';
import { openLun, patterned, prng, readAll, write } from './point-harness.js';

const MIB = 1024 * 1024;
const SIZE = 32 * MIB;

/** Image reads an export of a fully written image makes (its point reads everything from the image). */
async function exportReads(granularity: number): Promise<number> {
  const lun = await openLun(SIZE, { granularity });
  try {
    await write(lun.points, lun.image, patterned(prng(1), SIZE), 0);
    await lun.points.take({ id: 1, at: 1, origin: 'manual' });
    let reads = 0;
    const read = lun.image.read.bind(lun.image);
    lun.image.read = (b: Buffer, o: number) => {
      reads++;
      return read(b, o);
    };
    const out = join(lun.dir, 'out.img');
    await lun.points.exportTo(1, out);
    lun.image.read = read;
    expect(readFileSync(out).equals(await readAll(lun.image, SIZE))).toBe(true);
    return reads;
  } finally {
    await lun.cleanup();
  }
}

describe('export with copy-on-write units above 4 MiB', () => {
  it('reads in pieces of a whole unit, as few as with 4 MiB units', async () => {
    const atMax = await exportReads(MAX_PIECE_BYTES);
    const larger = await exportReads(8 * MIB);
    expect(atMax).toBeGreaterThan(0);
    expect(atMax).toBeLessThanOrEqual(SIZE / MAX_PIECE_BYTES);
    expect(larger).toBeLessThanOrEqual(atMax);
  }, 60_000);
});
