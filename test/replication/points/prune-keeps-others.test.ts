/**
 * Pruning a point (the oldest, one in the middle, the newest) leaves every other point
 * reading exactly as it was taken, frees the point's files, and copy-on-write goes on into
 * the new newest point after the newest is pruned.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PointError } from '../../../src/replication/points/point-store.js';
import { discard, openLun, patterned, prng, readAll, readPointAll, reopen, write, type Lun } from './point-harness.js';

const SIZE = 8 * 1024 * 1024;

function pointFiles(lun: Lun): string[] {
  return readdirSync(join(lun.dir, 'disk.img.tandem', 'points')).filter((n) => /^s\d+\.(cow|map)$/.test(n)).sort();
}

function allocated(lun: Lun): number {
  return pointFiles(lun).reduce((n, f) => n + statSync(join(lun.dir, 'disk.img.tandem', 'points', f)).blocks * 512, 0);
}

async function build(lun: Lun, count: number): Promise<Map<number, Buffer>> {
  const rng = prng(count);
  const expected = new Map<number, Buffer>();
  await write(lun.points, lun.image, patterned(rng, SIZE), 0);
  for (let id = 1; id <= count; id++) {
    await lun.points.take({ id, at: id * 60_000, origin: 'scheduled' });
    expected.set(id, await readAll(lun.image, SIZE));
    // Overlapping rewrites: some units are first rewritten after this point, some again after the next.
    const writes: Promise<void>[] = [];
    for (let i = 0; i < 40; i++) {
      const len = 4096 * (1 + Math.floor(rng() * 8));
      const off = 4096 * Math.floor(rng() * ((SIZE - len) / 4096));
      writes.push(i % 9 === 8 ? discard(lun.points, lun.image, off, len) : write(lun.points, lun.image, patterned(rng, len), off));
    }
    await Promise.all(writes);
  }
  return expected;
}

async function expectIntact(lun: Lun, expected: Map<number, Buffer>): Promise<void> {
  expect(lun.points.list().map((p) => p.id)).toEqual([...expected.keys()]);
  for (const [id, image] of expected) expect((await readPointAll(lun.points, id, SIZE)).equals(image), `point ${id}`).toBe(true);
}

describe('pruning a point', () => {
  it('keeps the others intact, whichever it is, and frees its files', async () => {
    const lun = await openLun(SIZE);
    try {
      const expected = await build(lun, 6);
      const files = pointFiles(lun).length;
      const before = allocated(lun);
      const bytes3 = lun.points.list().find((p) => p.id === 3)!.bytes;
      expect(bytes3).toBeGreaterThan(0);

      await lun.points.prune(3); // a middle point: what 2 needs moves into 2
      expected.delete(3);
      await expectIntact(lun, expected);
      expect(pointFiles(lun)).toHaveLength(files - 2);
      // Its space is returned, less what point 2 needed from it.
      expect(allocated(lun)).toBeLessThan(before);

      await lun.points.prune(1); // the oldest: nothing moves
      expected.delete(1);
      await expectIntact(lun, expected);

      await lun.points.prune(6); // the newest: 5 becomes the newest and takes the copies
      expected.delete(6);
      await expectIntact(lun, expected);
      const rng = prng(99);
      for (let i = 0; i < 30; i++) {
        const len = 4096 * (1 + Math.floor(rng() * 4));
        const off = 4096 * Math.floor(rng() * ((SIZE - len) / 4096));
        await write(lun.points, lun.image, patterned(rng, len), off);
      }
      await expectIntact(lun, expected);
      await expect(lun.points.read(3, Buffer.alloc(512), 0)).rejects.toThrow(PointError);
    } finally {
      await lun.cleanup();
    }
  });

  it('the last point pruned leaves no point and no copy-on-write', async () => {
    const lun = await openLun(SIZE);
    try {
      await build(lun, 1);
      await lun.points.prune(1);
      expect(lun.points.list()).toEqual([]);
      expect(lun.points.newest()).toBeUndefined();
      expect(lun.points.beforeOverwrite(0, SIZE)).toBeUndefined();
      expect(pointFiles(lun)).toEqual([]);
    } finally {
      await lun.cleanup();
    }
  });

  it('survives a reopen: the catalogue and the stores read back the same', async () => {
    const lun = await openLun(SIZE);
    try {
      const expected = await build(lun, 4);
      await lun.points.prune(2);
      expected.delete(2);
      await reopen(lun);
      await expectIntact(lun, expected);
      await expect(lun.points.prune(2)).rejects.toThrow('point 2 was pruned');
    } finally {
      await lun.cleanup();
    }
  });
});
