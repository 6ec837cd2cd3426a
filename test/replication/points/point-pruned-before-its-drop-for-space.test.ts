/**
 * A full disk gives points up from a list taken when the copy-on-write failed; the drop of
 * each runs in the store's queue, where a retention prune queued before it (BackupPoints
 * prunes after every point it takes) may have removed that point already. Its space is
 * free then: the write is tried again, and must not fail because the point it listed was
 * pruned meanwhile ("point 1 was pruned").
 */
import { afterEach, describe, expect, it } from 'vitest';
import { PointsGivenUpForSpace, type SpaceReclaimable } from '../../../src/replication/points/out-of-space.js';
import { openLun, patterned, prng, readAll, readPointAll, type Lun } from './point-harness.js';
import { QuotaFiles } from './quota-files.js';

const KIB = 1024;
const SIZE = 1024 * KIB;
const PIECE = 16 * KIB;

const luns: Lun[] = [];
afterEach(async () => {
  for (const l of luns.splice(0)) await l.cleanup();
});

describe('a point pruned before its drop for space', () => {
  it('counts as space freed: the write goes ahead, no point is given up for it', async () => {
    const files = new QuotaFiles(Infinity);
    const lun = await openLun(SIZE, { files });
    luns.push(lun);
    const rng = prng(11);
    await lun.image.write(patterned(rng, SIZE), 0);
    const images = new Map<number, Buffer>();
    for (let id = 1; id <= 3; id++) {
      await lun.points.take({ id, at: id * 60_000, origin: 'manual' });
      images.set(id, await readAll(lun.image, SIZE));
      // Point `id` holds 256 KiB once the next one is taken.
      const at = (id - 1) * 256 * KIB;
      for (let o = at; o < at + 256 * KIB; o += PIECE) {
        await lun.points.beforeOverwrite(o, PIECE);
        await lun.image.write(patterned(rng, PIECE), o);
      }
    }
    // Point 3 now holds 256 KiB too; room for 16 KiB more: a 256 KiB rewrite elsewhere needs a point to go.
    files.quota = files.used + 16 * KIB;
    let pruning: Promise<number[]> | undefined;
    const store: SpaceReclaimable = {
      beforeOverwrite: (o, l) => lun.points.beforeOverwrite(o, l),
      // The retention prune after a point is queued just as the failed copy lists the points to give up.
      list: () => {
        const listed = lun.points.list();
        pruning ??= lun.points.applyRetention({ last: 2, hourly: 0, daily: 0 }, 4 * 60_000);
        return listed;
      },
      dropForSpace: (id, spared) => lun.points.dropForSpace(id, spared),
    };
    const guard = new PointsGivenUpForSpace(store, () => new Set());
    const data = patterned(prng(99), 256 * KIB);
    await guard.beforeOverwrite(768 * KIB, 256 * KIB);
    await lun.image.write(data, 768 * KIB);
    expect(await pruning).toEqual([1]);
    // Point 1's 256 KiB were freed by the prune: points 2 and 3 stay, reading as taken.
    expect(lun.points.list().map((p) => p.id)).toEqual([2, 3]);
    for (const id of [2, 3]) expect((await readPointAll(lun.points, id, SIZE)).equals(images.get(id)!), `point ${id}`).toBe(true);
  });
});
