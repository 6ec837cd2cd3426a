/**
 * Restoring a point returns the live image to it byte for byte and reports exactly the
 * ranges it changed; later points are dropped, older ones stay intact, and the restored
 * point keeps reading as taken while new writes go on (and after a reopen). What it changed
 * is told before the restore commits, so the engine's marks are never behind it.
 */
import { describe, expect, it } from 'vitest';
import { PointError } from '../../../src/replication/points/point-store.js';
import { discard, openLun, patterned, prng, readAll, readPointAll, reopen, write, type Lun } from './point-harness.js';

const SIZE = 4 * 1024 * 1024;
const G = 4096;

async function history(lun: Lun, count: number, seed: number): Promise<Map<number, Buffer>> {
  const rng = prng(seed);
  const expected = new Map<number, Buffer>();
  for (let i = 0; i < 40; i++) {
    const len = 512 * (1 + Math.floor(rng() * 64));
    await write(lun.points, lun.image, patterned(rng, len), 512 * Math.floor(rng() * ((SIZE - len) / 512)));
  }
  for (let id = 1; id <= count; id++) {
    await lun.points.take({ id, at: id, origin: 'pass' });
    expected.set(id, await readAll(lun.image, SIZE));
    const writes: Promise<void>[] = [];
    for (let i = 0; i < 20; i++) {
      const len = 512 * (1 + Math.floor(rng() * 24));
      const off = 512 * Math.floor(rng() * ((SIZE - len) / 512));
      writes.push(rng() < 0.2 ? discard(lun.points, lun.image, off, len) : write(lun.points, lun.image, patterned(rng, len), off));
    }
    await Promise.all(writes);
  }
  return expected;
}

/** The units where two images differ, as merged byte ranges. */
function differing(a: Buffer, b: Buffer): Array<{ offset: number; length: number }> {
  const out: Array<{ offset: number; length: number }> = [];
  for (let off = 0; off < a.length; off += G) {
    if (a.subarray(off, off + G).equals(b.subarray(off, off + G))) continue;
    const last = out[out.length - 1];
    if (last && last.offset + last.length === off) last.length += G;
    else out.push({ offset: off, length: G });
  }
  return out;
}

describe('restoring a point', () => {
  it('returns the image to the point, reports what it changed, drops later points', async () => {
    const lun = await openLun(SIZE);
    try {
      const expected = await history(lun, 5, 1);
      const before = await readAll(lun.image, SIZE);
      const changed = await lun.points.restore(3);
      const after = await readAll(lun.image, SIZE);
      expect(after.equals(expected.get(3)!)).toBe(true);
      expect(changed).toEqual(differing(before, after));
      expect(changed.length).toBeGreaterThan(0);
      expect(lun.points.list().map((p) => p.id)).toEqual([1, 2, 3]);
      expect(lun.points.newest()?.bytes).toBe(0);
      for (const id of [1, 2, 3]) expect((await readPointAll(lun.points, id, SIZE)).equals(expected.get(id)!), `point ${id}`).toBe(true);
      await expect(lun.points.read(4, Buffer.alloc(G), 0)).rejects.toThrow(new PointError('point 4 was dropped by a restore to an older point'));

      // Writes after the restore preserve into point 3 again.
      const rng = prng(5);
      for (let i = 0; i < 30; i++) await write(lun.points, lun.image, patterned(rng, G * 2), G * Math.floor(rng() * (SIZE / G - 2)));
      for (const id of [1, 2, 3]) expect((await readPointAll(lun.points, id, SIZE)).equals(expected.get(id)!), `point ${id} after more writes`).toBe(true);
      // Ids keep increasing past the dropped ones.
      await expect(lun.points.take({ id: 5, at: 6, origin: 'manual' })).rejects.toThrow(PointError);
      await lun.points.take({ id: 6, at: 6, origin: 'manual' });

      await reopen(lun);
      expect(lun.points.recovered).toBeUndefined();
      expect(lun.points.list().map((p) => p.id)).toEqual([1, 2, 3, 6]);
      for (const id of [1, 2, 3]) expect((await readPointAll(lun.points, id, SIZE)).equals(expected.get(id)!), `point ${id} after a reopen`).toBe(true);
    } finally {
      await lun.cleanup();
    }
  });

  it('tells what it changed before it commits: a crash right after that finishes the restore at the next open', async () => {
    const lun = await openLun(SIZE);
    try {
      const expected = await history(lun, 4, 2);
      const before = await readAll(lun.image, SIZE);
      let told: ReadonlyArray<{ offset: number; length: number }> = [];
      // The engine's marks are durable once this resolves; a crash then (here: the restore stops).
      const restoring = lun.points.restore(2, async (ranges) => {
        told = ranges;
        throw new Error('crash after the marks');
      });
      await expect(restoring).rejects.toThrow('crash after the marks');
      expect(told).toEqual(differing(before, expected.get(2)!));
      await reopen(lun);
      // Still "restoring" in the catalogue: the open finishes it and reports what it may have changed.
      expect(lun.points.recovered?.restoredTo).toBe(2);
      expect((await readAll(lun.image, SIZE)).equals(expected.get(2)!)).toBe(true);
    } finally {
      await lun.cleanup();
    }
  });

  it('to the newest point undoes the writes since it, and to the oldest undoes everything', async () => {
    const lun = await openLun(SIZE);
    try {
      const expected = await history(lun, 3, 2);
      const before = await readAll(lun.image, SIZE);
      const changed = await lun.points.restore(3);
      expect((await readAll(lun.image, SIZE)).equals(expected.get(3)!)).toBe(true);
      expect(changed).toEqual(differing(before, expected.get(3)!));
      expect(lun.points.list().map((p) => p.id)).toEqual([1, 2, 3]);

      const changedToOldest = await lun.points.restore(1);
      expect((await readAll(lun.image, SIZE)).equals(expected.get(1)!)).toBe(true);
      expect(changedToOldest).toEqual(differing(expected.get(3)!, expected.get(1)!));
      expect(lun.points.list().map((p) => p.id)).toEqual([1]);
    } finally {
      await lun.cleanup();
    }
  });

  it('reports nothing when the image is already the point', async () => {
    const lun = await openLun(SIZE);
    try {
      await history(lun, 1, 3);
      await lun.points.restore(1);
      expect(await lun.points.restore(1)).toEqual([]);
    } finally {
      await lun.cleanup();
    }
  });
});
