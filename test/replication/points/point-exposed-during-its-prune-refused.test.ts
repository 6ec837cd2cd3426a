/**
 * An exposure of a point that lands during that point's own prune — after the prune asked
 * whether it is exposed (it was not), while its data moves to the older point or its
 * catalogue is written — is refused: accepted, it pinned a point that was gone a moment
 * later, the exposed LUN failing every read. A prune that fails leaves the point exposable.
 */
import { describe, expect, it } from 'vitest';
import { HostWriteOrder } from '../../../src/replication/host-write-order.js';
import { BackupPoints, PointRefusedError } from '../../../src/replication/points/backup-points.js';
import { catalogueHook, openLun, patterned, prng, silentLogger, write } from './point-harness.js';

const SIZE = 1024 * 1024;
const UNIT = 64 * 1024;

describe('a point exposed during its own prune', () => {
  it('is refused once the prune is past asking whether it is exposed', async () => {
    let duringPrune: (() => void) | undefined;
    const lun = await openLun(SIZE, { files: catalogueHook(() => duringPrune?.()) });
    try {
      const rng = prng(11);
      await lun.image.write(patterned(rng, 4 * UNIT), 0);
      const points = new BackupPoints(lun.points, new HostWriteOrder(), () => true, silentLogger, { last: 100, hourly: 0, daily: 0 });
      // Point 2 holds units point 1 reads from it: its prune moves data first.
      for (let id = 1; id <= 3; id++) {
        await points.take({ id, at: id, origin: 'manual' });
        await write(lun.points, lun.image, patterned(rng, UNIT), id * UNIT);
      }
      const refused: unknown[] = [];
      duringPrune = () => {
        // Point 1's prune writes the first catalogue, point 2's the second: expose each as its own goes.
        const going = lun.points.list()[0]!.id;
        try {
          points.pin(going);
        } catch (e) {
          refused.push(e);
        }
      };
      expect(await points.setRetention({ last: 1, hourly: 0, daily: 0 })).toEqual([1, 2]);
      duringPrune = undefined;
      expect(refused).toHaveLength(2);
      for (const e of refused) expect(e).toBeInstanceOf(PointRefusedError);
      expect((refused[1] as Error).message).toMatch(/point 2 .*being removed/);
      expect([...points.exposedIds()]).toEqual([]);
      expect(points.list().map((p) => p.id)).toEqual([3]);
    } finally {
      await lun.cleanup();
    }
  });

  it('can be exposed again once its prune failed', async () => {
    let failCatalogue = false;
    const lun = await openLun(SIZE, {
      files: catalogueHook(() => {
        if (failCatalogue) throw Object.assign(new Error('EIO: i/o error, rename'), { code: 'EIO' });
      }),
    });
    try {
      const points = new BackupPoints(lun.points, new HostWriteOrder(), () => true, silentLogger, { last: 100, hourly: 0, daily: 0 });
      for (let id = 1; id <= 2; id++) await points.take({ id, at: id, origin: 'manual' });
      failCatalogue = true;
      await expect(points.setRetention({ last: 1, hourly: 0, daily: 0 })).rejects.toThrow(/EIO/);
      failCatalogue = false;
      expect(points.list().map((p) => p.id)).toEqual([1, 2]);
      points.pin(1);
      expect([...points.exposedIds()]).toEqual([1]);
      await expect(points.read(1, Buffer.alloc(4096), 0)).resolves.toBeUndefined();
    } finally {
      await lun.cleanup();
    }
  });
});
