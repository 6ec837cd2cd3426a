/**
 * A point reads as the image was when it was taken, after many overwrites, discards and
 * later points: whole, in odd sub-ranges, and while writes race with the read.
 */
import { describe, expect, it } from 'vitest';
import { discard, openLun, patterned, prng, readAll, readPointAll, write } from './point-harness.js';

describe('reading a point', () => {
  for (const { size, granularity } of [
    { size: 4 * 1024 * 1024, granularity: 4096 },
    { size: 4 * 1024 * 1024 - 1536, granularity: 4096 },
    { size: 1024 * 1024, granularity: 512 },
    { size: 3 * 1024 * 1024, granularity: 65536 },
  ]) {
    it(`equals the image at take time after many overwrites (${size} bytes, ${granularity}-byte units)`, async () => {
      const lun = await openLun(size, { granularity });
      const rng = prng(size + granularity);
      const expected = new Map<number, Buffer>();
      try {
        // Some history before the first point.
        for (let i = 0; i < 20; i++) {
          const len = 512 * (1 + Math.floor(rng() * 64));
          const off = 512 * Math.floor(rng() * ((size - len) / 512));
          await write(lun.points, lun.image, patterned(rng, len), off);
        }
        for (let id = 1; id <= 12; id++) {
          await lun.points.take({ id, at: 1_000 * id, origin: 'pass' });
          expected.set(id, await readAll(lun.image, size));
          // Overwrites in flight together (copy-on-write shares its syncs), and a few discards.
          const batch: Promise<void>[] = [];
          for (let i = 0; i < 24; i++) {
            const len = 512 * (1 + Math.floor(rng() * 32));
            const off = 512 * Math.floor(rng() * ((size - len) / 512));
            batch.push(rng() < 0.15 ? discard(lun.points, lun.image, off, len) : write(lun.points, lun.image, patterned(rng, len), off));
          }
          await Promise.all(batch);
        }
        for (const [id, image] of expected) {
          expect((await readPointAll(lun.points, id, size)).equals(image), `point ${id}`).toBe(true);
          for (let i = 0; i < 10; i++) {
            const off = Math.floor(rng() * size);
            const len = Math.floor(rng() * Math.min(size - off, 200_000));
            const part = Buffer.alloc(len);
            await lun.points.read(id, part, off);
            expect(part.equals(image.subarray(off, off + len)), `point ${id} at ${off}+${len}`).toBe(true);
          }
        }
        expect(lun.points.list().map((p) => p.id)).toEqual([...expected.keys()]);
      } finally {
        await lun.cleanup();
      }
    });
  }

  it('never shows a write that races with the read', async () => {
    const size = 2 * 1024 * 1024;
    const lun = await openLun(size);
    const rng = prng(7);
    try {
      await write(lun.points, lun.image, patterned(rng, size), 0);
      await lun.points.take({ id: 1, at: 1, origin: 'manual' });
      const expected = await readAll(lun.image, size);
      for (let round = 0; round < 20; round++) {
        const reads: Promise<Buffer>[] = [];
        const writes: Promise<void>[] = [];
        for (let i = 0; i < 8; i++) {
          reads.push(readPointAll(lun.points, 1, size));
          const len = 4096 * (1 + Math.floor(rng() * 16));
          const off = 4096 * Math.floor(rng() * ((size - len) / 4096));
          writes.push(write(lun.points, lun.image, patterned(rng, len), off));
        }
        await Promise.all(writes);
        for (const r of await Promise.all(reads)) expect(r.equals(expected)).toBe(true);
      }
    } finally {
      await lun.cleanup();
    }
  });

  it('copy-on-write needs no promise and no I/O once a unit is held, or with no point', async () => {
    const lun = await openLun(1024 * 1024);
    try {
      expect(lun.points.beforeOverwrite(0, 4096)).toBeUndefined();
      await lun.points.take({ id: 1, at: 1, origin: 'pass' });
      await write(lun.points, lun.image, Buffer.alloc(8192, 1), 4096);
      expect(lun.points.beforeOverwrite(4096, 8192)).toBeUndefined();
      expect(lun.points.beforeOverwrite(6000, 100)).toBeUndefined();
      expect(lun.points.beforeOverwrite(0, 4096)).toBeInstanceOf(Promise);
    } finally {
      await lun.cleanup();
    }
  });
});
