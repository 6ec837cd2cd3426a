/**
 * Exporting a point writes a sparse file whose content is the point's image and whose
 * holes are exactly where the point reads zeroes (4 KiB blocks): allocated zeroes in the
 * image become holes, and data the point holds in its store is there though the live image
 * has moved on.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileBlockStore } from '../../../src/block/file-store.js';
import { discard, openLun, patterned, prng, readAll, readPointAll, write } from './point-harness.js';

const BLOCK = 4096;

async function mappedBlocks(path: string, size: number): Promise<boolean[]> {
  const f = await FileBlockStore.open({ path, readOnly: true });
  try {
    const out: boolean[] = [];
    for (let off = 0; off < size; ) {
      const { mapped, length } = await f.allocation(off, size - off);
      for (let b = off; b < off + length; b += BLOCK) out.push(mapped);
      off += length;
    }
    return out;
  } finally {
    await f.close();
  }
}

function nonZeroBlocks(image: Buffer): boolean[] {
  const out: boolean[] = [];
  for (let off = 0; off < image.length; off += BLOCK) out.push(image.subarray(off, off + BLOCK).some((x) => x !== 0));
  return out;
}

describe('exporting a point', () => {
  for (const size of [32 * 1024 * 1024, 32 * 1024 * 1024 - 3 * 512]) {
    it(`writes a sparse file equal to the point, holes where it reads zeroes (${size} bytes)`, async () => {
      const lun = await openLun(size);
      const rng = prng(size);
      try {
        // Data, allocated zeroes, and holes.
        for (let i = 0; i < 60; i++) {
          const len = BLOCK * (1 + Math.floor(rng() * 64));
          const off = 512 * Math.floor(rng() * ((size - len) / 512));
          await write(lun.points, lun.image, i % 5 === 0 ? Buffer.alloc(len) : patterned(rng, len), off);
        }
        await lun.points.take({ id: 1, at: 1, origin: 'manual' });
        const point = await readAll(lun.image, size);
        // The image moves on: data over holes, zeroes and discards over data.
        for (let i = 0; i < 60; i++) {
          const len = BLOCK * (1 + Math.floor(rng() * 64));
          const off = 512 * Math.floor(rng() * ((size - len) / 512));
          if (i % 3 === 0) await discard(lun.points, lun.image, off, len);
          else await write(lun.points, lun.image, i % 3 === 1 ? Buffer.alloc(len) : patterned(rng, len), off);
        }
        await lun.points.take({ id: 2, at: 2, origin: 'manual' });
        expect((await readPointAll(lun.points, 1, size)).equals(point)).toBe(true);

        const path = join(lun.dir, 'point-1.img');
        const result = await lun.points.exportTo(1, path);
        const exported = readFileSync(path);
        expect(exported.length).toBe(size);
        expect(exported.equals(point)).toBe(true);
        const want = nonZeroBlocks(point);
        expect(await mappedBlocks(path, size)).toEqual(want);
        const nonZero = want.filter(Boolean).length;
        expect(result).toEqual({ bytes: size, allocatedBytes: nonZero * BLOCK });
        // What the file system allocated: the data blocks, and at most a little for its extent tree.
        const allocated = statSync(path).blocks * 512;
        expect(allocated).toBeGreaterThanOrEqual(result.allocatedBytes);
        expect(allocated).toBeLessThanOrEqual(result.allocatedBytes + 64 * 1024);

        // The newest point reads as the live image.
        const path2 = join(lun.dir, 'point-2.img');
        await lun.points.exportTo(2, path2);
        expect(readFileSync(path2).equals(await readAll(lun.image, size))).toBe(true);
      } finally {
        await lun.cleanup();
      }
    });
  }

  it('of a point with nothing written is all hole', async () => {
    const size = 16 * 1024 * 1024;
    const lun = await openLun(size);
    try {
      await lun.points.take({ id: 1, at: 1, origin: 'manual' });
      const path = join(lun.dir, 'empty.img');
      expect(await lun.points.exportTo(1, path)).toEqual({ bytes: size, allocatedBytes: 0 });
      expect(statSync(path).blocks).toBe(0);
      expect(statSync(path).size).toBe(size);
    } finally {
      await lun.cleanup();
    }
  });
});
