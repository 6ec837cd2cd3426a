/**
 * Preserving for points on a full disk (a file system with a quota, quota-files.ts): points
 * are given up oldest first until the copy-on-write fits, the newest only when nothing else
 * is left, never a kept (exposed) one; concurrent writes failing together give up one point
 * per shortage, not one each; what is left reads as taken, before and after a reopen, and a
 * point given up says so. A take or a catalogue write that does not fit fails cleanly and
 * leaves the store working.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { PointsGivenUpForSpace, pointsToGiveUp } from '../../../src/replication/points/out-of-space.js';
import { openLun, patterned, prng, readAll, readPointAll, reopen, type Lun } from './point-harness.js';
import { QuotaFiles } from './quota-files.js';

const KIB = 1024;
const SIZE = 1024 * KIB;
const PIECE = 16 * KIB;

const luns: Lun[] = [];
afterEach(async () => {
  for (const l of luns.splice(0)) await l.cleanup();
});

/** A LUN whose points live on `files`, written whole, with points 1..3, each after rewriting 256 KiB. */
async function threePoints(files: QuotaFiles): Promise<{ lun: Lun; images: Map<number, Buffer> }> {
  const lun = await openLun(SIZE, { files });
  luns.push(lun);
  const rng = prng(7);
  await lun.image.write(patterned(rng, SIZE), 0);
  const images = new Map<number, Buffer>();
  for (let id = 1; id <= 3; id++) {
    await lun.points.take({ id, at: id * 60_000, origin: 'manual' });
    images.set(id, await readAll(lun.image, SIZE));
    if (id < 3) await rewrite(lun, new PointsGivenUpForSpace(lun.points, () => new Set()), (id - 1) * 256 * KIB, 256 * KIB);
  }
  return { lun, images };
}

/** Concurrent 16 KiB writes over [from, from+length), each after the guard preserved for it. */
async function rewrite(lun: Lun, guard: PointsGivenUpForSpace, from: number, length: number): Promise<void> {
  const rng = prng(from + length);
  const writes: Promise<void>[] = [];
  for (let at = from; at < from + length; at += PIECE) {
    const data = patterned(rng, PIECE);
    writes.push((async () => {
      await guard.beforeOverwrite(at, PIECE);
      await lun.image.write(data, at);
    })());
  }
  await Promise.all(writes);
}

async function expectReadsAsTaken(lun: Lun, images: Map<number, Buffer>): Promise<void> {
  for (const p of lun.points.list()) expect((await readPointAll(lun.points, p.id, SIZE)).equals(images.get(p.id)!), `point ${p.id}`).toBe(true);
}

describe('points given up for space', () => {
  it('the order: older points oldest first, then the newest, never a kept one', () => {
    expect(pointsToGiveUp([3, 5, 8], new Set())).toEqual([3, 5, 8]);
    expect(pointsToGiveUp([3, 5, 8], new Set([3]))).toEqual([5, 8]);
    expect(pointsToGiveUp([3, 5, 8], new Set([8]))).toEqual([3, 5]);
    expect(pointsToGiveUp([], new Set())).toEqual([]);
  });

  it('a failure from before a point was given up is retried, not answered with another', async () => {
    const outOfSpace = () => Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    const pending: Array<(e?: Error) => void> = [];
    const dropped: number[] = [];
    const ids = [1, 2, 3];
    const store = {
      // The first two copies stay in flight until the test settles them; later ones fit.
      beforeOverwrite: () => (pending.length < 2 ? new Promise<void>((resolve, reject) => pending.push((e) => (e ? reject(e) : resolve()))) : undefined),
      list: () => ids.map((id) => ({ id, at: id, origin: 'manual' as const, bytes: 0 })),
      dropForSpace: async (id: number) => {
        dropped.push(id);
        ids.splice(ids.indexOf(id), 1);
        return true;
      },
    };
    const guard = new PointsGivenUpForSpace(store, () => new Set());
    const a = guard.beforeOverwrite(0, 4096)!;
    const b = guard.beforeOverwrite(4096, 4096)!;
    pending[0]!(outOfSpace());
    await a;
    expect(dropped).toEqual([1]);
    // B's copy began before point 1 went: it is tried again in the space that freed.
    pending[1]!(outOfSpace());
    await b;
    expect(dropped).toEqual([1]);
  });

  it('gives up the oldest points until the copy fits, one per shortage however many writes fail together', async () => {
    const files = new QuotaFiles(Infinity);
    const { lun, images } = await threePoints(files);
    // Room for 128 KiB more: 512 KiB of rewrites need points 1 and 2 (256 KiB each) given up.
    files.quota = files.used + 128 * KIB;
    await rewrite(lun, new PointsGivenUpForSpace(lun.points, () => new Set()), 512 * KIB, 512 * KIB);
    expect(lun.points.list().map((p) => p.id)).toEqual([3]);
    await expectReadsAsTaken(lun, images);
    await expect(lun.points.read(1, Buffer.alloc(4096), 0)).rejects.toThrow(/^point 1 was given up when the disk was full$/);
    await reopen(lun, { files });
    expect(lun.points.list().map((p) => p.id)).toEqual([3]);
    await expectReadsAsTaken(lun, images);
    await expect(lun.points.exportTo(2, `${lun.dir}/x.img`)).rejects.toThrow(/^point 2 was given up when the disk was full$/);
  });

  it('the newest point goes when it is all that is left, and the write goes ahead', async () => {
    const files = new QuotaFiles(Infinity);
    const lun = await openLun(SIZE, { files });
    luns.push(lun);
    await lun.image.write(patterned(prng(3), SIZE), 0);
    await lun.points.take({ id: 1, at: 60_000, origin: 'manual' });
    files.quota = files.used;
    await rewrite(lun, new PointsGivenUpForSpace(lun.points, () => new Set()), 0, 64 * KIB);
    expect(lun.points.list()).toEqual([]);
    expect((await readAll(lun.image, SIZE)).subarray(0, 64 * KIB).equals(patterned(prng(64 * KIB), 64 * KIB))).toBe(true);
  });

  it('keeps an exposed point; when giving up the others frees nothing it needs, the write fails as out of space', async () => {
    const files = new QuotaFiles(Infinity);
    const { lun, images } = await threePoints(files);
    const guard = new PointsGivenUpForSpace(lun.points, () => new Set([2]));
    files.quota = files.used + 128 * KIB;
    await rewrite(lun, guard, 512 * KIB, 256 * KIB);
    expect(lun.points.list().map((p) => p.id)).toEqual([2, 3]);
    // Point 3's units would move into the exposed point 2 (it reads them from 3): giving 3 up frees nothing.
    files.quota = files.used;
    const failed = await rewrite(lun, guard, 768 * KIB, 64 * KIB).catch((e: unknown) => e);
    expect((failed as NodeJS.ErrnoException).code).toBe('ENOSPC');
    expect(lun.points.list().map((p) => p.id)).toEqual([2, 3]);
    await expectReadsAsTaken(lun, images);
    // Space again: the same writes go through, and every point still reads as taken.
    files.quota = Infinity;
    await rewrite(lun, guard, 768 * KIB, 64 * KIB);
    await expectReadsAsTaken(lun, images);
  });

  it('a take or a catalogue write that does not fit fails with ENOSPC and leaves the store working', async () => {
    const files = new QuotaFiles(Infinity);
    const { lun, images } = await threePoints(files);
    files.quota = files.used;
    const failed = await lun.points.take({ id: 4, at: 4 * 60_000, origin: 'manual' }).catch((e: unknown) => e);
    expect((failed as NodeJS.ErrnoException).code).toBe('ENOSPC');
    expect(lun.points.list().map((p) => p.id)).toEqual([1, 2, 3]);
    files.quota = Infinity;
    await lun.points.take({ id: 5, at: 5 * 60_000, origin: 'manual' });
    images.set(5, await readAll(lun.image, SIZE));
    await lun.points.prune(2);
    expect(lun.points.list().map((p) => p.id)).toEqual([1, 3, 5]);
    await expectReadsAsTaken(lun, images);
  });
});
