/**
 * Copy-on-write calls that arrive while the store changes its newest point: during a take
 * they wait and then preserve for the new point; during a prune of the newest point, units
 * it holds go on at once (they move, unchanged) and others wait and preserve for the next
 * newest; reads wait for a prune and read the right bytes.
 */
import { describe, expect, it } from 'vitest';
import { openLun, patterned, prng, readAll, readPointAll } from './point-harness.js';

const SIZE = 2 * 1024 * 1024;
const G = 4096;

describe('copy-on-write around takes and prunes', () => {
  it('a call during a take waits for it and preserves for the new point', async () => {
    const lun = await openLun(SIZE);
    try {
      await lun.image.write(patterned(prng(1), SIZE), 0);
      await lun.points.take({ id: 1, at: 1, origin: 'pass' });
      const one = await readAll(lun.image, SIZE);
      await lun.points.beforeOverwrite(0, G);
      await lun.image.write(Buffer.alloc(G, 7), 0);
      const two = await readAll(lun.image, SIZE);
      const taking = lun.points.take({ id: 2, at: 2, origin: 'pass' });
      // Unit 0 is held by point 1 but not by point 2: the call must wait and copy for 2.
      const waiting = lun.points.beforeOverwrite(0, 2 * G);
      expect(waiting).toBeInstanceOf(Promise);
      await taking;
      await waiting;
      await lun.image.write(Buffer.alloc(2 * G, 9), 0);
      expect((await readPointAll(lun.points, 1, SIZE)).equals(one)).toBe(true);
      expect((await readPointAll(lun.points, 2, SIZE)).equals(two)).toBe(true);
      expect(lun.points.newest()?.bytes).toBe(2 * G);
    } finally {
      await lun.cleanup();
    }
  });

  it('during a prune of the newest point, held units go on and others wait for the next newest', async () => {
    const lun = await openLun(SIZE);
    try {
      await lun.image.write(patterned(prng(2), SIZE), 0);
      await lun.points.take({ id: 1, at: 1, origin: 'pass' });
      const one = await readAll(lun.image, SIZE);
      await lun.points.beforeOverwrite(0, 4 * G);
      await lun.image.write(Buffer.alloc(4 * G, 1), 0);
      await lun.points.take({ id: 2, at: 2, origin: 'pass' });
      await lun.points.beforeOverwrite(2 * G, 4 * G); // units 2-5: 2, 3 held by both, 4, 5 by point 2 only
      await lun.image.write(Buffer.alloc(4 * G, 2), 2 * G);
      const pruning = lun.points.prune(2);
      const reading = readPointAll(lun.points, 1, SIZE);
      expect(lun.points.beforeOverwrite(4 * G, 2 * G)).toBeUndefined(); // held by point 2: they move to 1 unchanged
      await lun.image.write(Buffer.alloc(2 * G, 3), 4 * G);
      const other = lun.points.beforeOverwrite(10 * G, G); // not held: waits, then copies for point 1
      expect(other).toBeInstanceOf(Promise);
      await pruning;
      await other;
      await lun.image.write(Buffer.alloc(G, 4), 10 * G);
      expect((await reading).equals(one)).toBe(true);
      expect((await readPointAll(lun.points, 1, SIZE)).equals(one)).toBe(true);
      expect(lun.points.list().map((p) => [p.id, p.bytes])).toEqual([[1, 7 * G]]);
    } finally {
      await lun.cleanup();
    }
  });
});
