/**
 * A point's allocation (what an exposed point answers GET LBA STATUS with, and what an
 * export skips) against the point's bytes: whatever the writes and discards before and
 * after the points were taken, the extents tile the volume, and every byte of an extent
 * said unmapped reads zero in the point.
 */
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { discard, openLun, readPointAll, write } from './point-harness.js';

const SIZE = 4 * 1024 * 1024;
const BLOCK = 4096;

const op = fc.record({
  kind: fc.constantFrom('data', 'zeroes', 'discard'),
  block: fc.integer({ min: 0, max: SIZE / BLOCK - 1 }),
  blocks: fc.integer({ min: 1, max: 48 }),
  fill: fc.integer({ min: 1, max: 255 }),
});

it('unmapped extents of a point read zero, and the extents tile the volume', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(op, { maxLength: 12 }), fc.array(op, { maxLength: 12 }), fc.array(op, { maxLength: 12 }), async (before, between, after) => {
      const lun = await openLun(SIZE);
      try {
        const apply = async (ops: typeof before) => {
          for (const o of ops) {
            const length = Math.min(o.blocks, SIZE / BLOCK - o.block) * BLOCK;
            const offset = o.block * BLOCK;
            if (o.kind === 'discard') await discard(lun.points, lun.image, offset, length);
            else await write(lun.points, lun.image, Buffer.alloc(length, o.kind === 'data' ? o.fill : 0), offset);
          }
        };
        await apply(before);
        await lun.points.take({ id: 1, at: 1, origin: 'manual' });
        await apply(between);
        await lun.points.take({ id: 2, at: 2, origin: 'manual' });
        await apply(after);
        for (const id of [1, 2]) {
          const image = await readPointAll(lun.points, id, SIZE);
          let at = 0;
          while (at < SIZE) {
            const a = await lun.points.allocation(id, at, SIZE - at);
            expect(a.length).toBeGreaterThan(0);
            expect(at + a.length).toBeLessThanOrEqual(SIZE);
            if (!a.mapped) expect(image.subarray(at, at + a.length).every((x) => x === 0)).toBe(true);
            at += a.length;
          }
          expect(at).toBe(SIZE);
        }
      } finally {
        await lun.cleanup();
      }
    }),
    { numRuns: 40 },
  );
}, 120_000);
