/**
 * A LUN's image grown between runs keeps its recovery points: a point taken before the
 * growth reads its old bytes below its old end and zeroes past it (through reads, an
 * export, an exposed device and a restore) whatever the live tail holds; a point taken
 * after reads the live tail; the space a point reports leaves out the grown part; one line
 * is logged. Power loss during the growth: point-crash-growth.test.ts.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PointImageDevice } from '../../../src/replication/points/point-image-device.js';
import type { PointStore } from '../../../src/replication/points/point-store.js';
import { capturedLog } from '../captured-log.js';
import { grow, openLun, patterned, prng, readAll, readPointAll, reopen, write, type Lun } from './point-harness.js';

const G = 4096;
const OLD = 1024 * 1024;
const NEW = 3 * 1024 * 1024;

function padded(image: Buffer, size: number): Buffer {
  return Buffer.concat([image, Buffer.alloc(size - image.length)]);
}

/** Writes `units` units of random bytes from unit `first`, through copy-on-write. */
async function writeUnits(lun: Lun, rng: () => number, first: number, units: number): Promise<void> {
  await write(lun.points, lun.image, patterned(rng, units * G), first * G);
}

/** Every listed point reads `expected`'s image: through reads, an export and an exposed device. */
async function expectPoints(lun: Lun, expected: Map<number, Buffer>, size: number): Promise<void> {
  for (const { id } of lun.points.list()) {
    const want = expected.get(id)!;
    expect((await readPointAll(lun.points, id, size)).equals(want), `point ${id} read`).toBe(true);
    const exposed = new PointImageDevice(lun.points, id, size, `disk.img@point-${id}`);
    expect((await readAll(exposed, size)).equals(want), `point ${id} exposed`).toBe(true);
    const path = join(lun.dir, `point-${id}.img`);
    await lun.points.exportTo(id, path);
    expect(statSync(path).size).toBe(size);
    expect(readFileSync(path).equals(want), `point ${id} exported`).toBe(true);
  }
}

/**
 * Points 1 and 2 on an OLD-byte image: store 1 holds units 0-9 (overwritten after point 1),
 * store 2 units 5-19 (after point 2). Returns each point's image.
 */
async function twoPoints(lun: Lun, rng: () => number): Promise<Map<number, Buffer>> {
  const expected = new Map<number, Buffer>();
  await writeUnits(lun, rng, 0, OLD / G);
  await lun.points.take({ id: 1, at: 1, origin: 'pass' });
  expected.set(1, await readAll(lun.image, OLD));
  await writeUnits(lun, rng, 0, 10);
  await lun.points.take({ id: 2, at: 2, origin: 'pass' });
  expected.set(2, await readAll(lun.image, OLD));
  await writeUnits(lun, rng, 5, 15);
  return expected;
}

function byteCounts(points: PointStore): number[] {
  return points.list().map((p) => p.bytes);
}

describe('a LUN grown with recovery points', () => {
  it('keeps every point: old bytes below the old end, zeroes past it, though the live tail is written (reads, export, exposed)', async () => {
    const lun = await openLun(OLD);
    try {
      const rng = prng(1);
      const old = await twoPoints(lun, rng);
      const log = capturedLog();
      // The new part holding stale bytes (a grown block device): the points must not read them.
      await grow(lun, NEW, { logger: log.logger, stale: true });
      expect(lun.points.list().map((p) => p.id)).toEqual([1, 2]);
      expect(log.events('points-grown')).toMatchObject([{ from: OLD, to: NEW, points: 2 }]);
      const expected = new Map([...old].map(([id, image]) => [id, padded(image, NEW)]));
      await expectPoints(lun, expected, NEW);
      // The live tail written (and part of the old volume again): old points still read zeroes past their end.
      await writeUnits(lun, rng, OLD / G - 4, (NEW - OLD) / G + 4);
      await expectPoints(lun, expected, NEW);
      await reopen(lun);
      await expectPoints(lun, expected, NEW);
    } finally {
      await lun.cleanup();
    }
  });

  it('restoring a point from before the growth leaves the tail zero and the rest as at the point', async () => {
    const lun = await openLun(OLD);
    try {
      const rng = prng(2);
      const old = await twoPoints(lun, rng);
      await grow(lun, NEW, { stale: true });
      await writeUnits(lun, rng, 0, NEW / G);
      const changed = await lun.points.restore(1);
      const image = await readAll(lun.image, NEW);
      expect(image.equals(padded(old.get(1)!, NEW))).toBe(true);
      expect(changed).toEqual([{ offset: 0, length: NEW }]);
      expect(lun.points.list().map((p) => p.id)).toEqual([1]);
      await writeUnits(lun, rng, OLD / G, 8);
      await reopen(lun);
      expect((await readPointAll(lun.points, 1, NEW)).equals(image)).toBe(true);
    } finally {
      await lun.cleanup();
    }
  });

  it('a point taken after the growth reads the live tail as it was then; older ones zeroes', async () => {
    const lun = await openLun(OLD);
    try {
      const rng = prng(3);
      const expected = await twoPoints(lun, rng);
      await grow(lun, NEW);
      for (const [id, image] of expected) expected.set(id, padded(image, NEW));
      await writeUnits(lun, rng, OLD / G - 2, 40);
      await lun.points.take({ id: 3, at: 3, origin: 'pass' });
      expected.set(3, await readAll(lun.image, NEW));
      expect(expected.get(3)!.subarray(OLD).some((x) => x !== 0)).toBe(true);
      await writeUnits(lun, rng, 0, NEW / G);
      await expectPoints(lun, expected, NEW);
      // Pruning the newest point from before the growth moves its marks to the older one: still zeroes.
      await lun.points.prune(2);
      await reopen(lun);
      await expectPoints(lun, expected, NEW);
    } finally {
      await lun.cleanup();
    }
  });

  it('counts no space for the grown part: the bytes each point holds are those it held', async () => {
    const lun = await openLun(OLD);
    try {
      await twoPoints(lun, prng(4));
      expect(byteCounts(lun.points)).toEqual([10 * G, 15 * G]);
      await grow(lun, NEW);
      expect(byteCounts(lun.points)).toEqual([10 * G, 15 * G]);
      await reopen(lun);
      expect(byteCounts(lun.points)).toEqual([10 * G, 15 * G]);
      // Point 1 takes over units 10-19 from point 2 (and its marks, which hold nothing).
      await lun.points.prune(2);
      expect(byteCounts(lun.points)).toEqual([20 * G]);
    } finally {
      await lun.cleanup();
    }
  });

  it('a volume grown again keeps the points of both sizes', async () => {
    const lun = await openLun(OLD);
    try {
      const rng = prng(5);
      const expected = await twoPoints(lun, rng);
      await grow(lun, 2 * OLD);
      await writeUnits(lun, rng, OLD / G, 16);
      await lun.points.take({ id: 3, at: 3, origin: 'pass' });
      expected.set(3, await readAll(lun.image, 2 * OLD));
      await writeUnits(lun, rng, OLD / G, 32);
      await grow(lun, NEW);
      for (const [id, image] of expected) expected.set(id, padded(image, NEW));
      expect(byteCounts(lun.points)).toEqual([10 * G, 15 * G, 32 * G]);
      await writeUnits(lun, rng, 0, NEW / G);
      await expectPoints(lun, expected, NEW);
    } finally {
      await lun.cleanup();
    }
  });
});

describe('a LUN grown from a size that ends inside a unit', () => {
  // 256 units and 1536 bytes: unit 256 is cut short at the old end.
  const SHORT = OLD + 1536;

  for (const newestHoldsLast of [false, true]) {
    it(`the old last unit reads the point's bytes to the old end, zeroes past it (the newest store ${newestHoldsLast ? 'holds' : 'lacks'} it)`, async () => {
      const lun = await openLun(SHORT);
      try {
        const rng = prng(newestHoldsLast ? 6 : 7);
        const expected = new Map<number, Buffer>();
        await write(lun.points, lun.image, patterned(rng, SHORT), 0);
        await lun.points.take({ id: 1, at: 1, origin: 'pass' });
        expected.set(1, await readAll(lun.image, SHORT));
        // Store 1 holds the last unit.
        await write(lun.points, lun.image, patterned(rng, 1024), OLD + 512);
        await lun.points.take({ id: 2, at: 2, origin: 'pass' });
        expected.set(2, await readAll(lun.image, SHORT));
        await writeUnits(lun, rng, 0, 4);
        if (newestHoldsLast) await write(lun.points, lun.image, patterned(rng, 512), OLD);
        await grow(lun, NEW, { stale: true });
        for (const [id, image] of expected) expected.set(id, padded(image, NEW));
        await expectPoints(lun, expected, NEW);
        // The rest of the old last unit and the tail written: no point sees it.
        await write(lun.points, lun.image, patterned(rng, NEW - OLD), OLD);
        await expectPoints(lun, expected, NEW);
        await reopen(lun);
        await expectPoints(lun, expected, NEW);
        // Point 2 holds units 0-3 and the old last unit (written after it, or copied by the growth) to the old end.
        expect(lun.points.list()[1]!.bytes).toBe(4 * G + 1536);
        await lun.points.restore(2);
        expect((await readAll(lun.image, NEW)).equals(expected.get(2)!)).toBe(true);
      } finally {
        await lun.cleanup();
      }
    });
  }
});
