/**
 * A restore drops the points after the one it rolls back to. It refuses to start while one
 * of them is exposed, but an exposure of one that lands after that check — while the
 * restore waits for readers or moves data — must be refused too: accepted, it pinned a
 * point the restore removed a moment later, the exposed LUN failing every read.
 */
import { describe, expect, it } from 'vitest';
import { HostWriteOrder } from '../../../src/replication/host-write-order.js';
import { BackupPoints, PointRefusedError } from '../../../src/replication/points/backup-points.js';
import { catalogueHook, openLun, patterned, prng, silentLogger, write } from './point-harness.js';

const SIZE = 1024 * 1024;
const UNIT = 64 * 1024;

describe('a later point exposed during a restore', () => {
  it('is refused; the point restored to and earlier ones stay exposable, and later ones after it ended', async () => {
    let duringRestore: (() => void) | undefined;
    const lun = await openLun(SIZE, { files: catalogueHook(() => duringRestore?.()) });
    try {
      const rng = prng(5);
      await lun.image.write(patterned(rng, 4 * UNIT), 0);
      const points = new BackupPoints(lun.points, new HostWriteOrder(), () => true, silentLogger, { last: 100, hourly: 0, daily: 0 });
      for (let id = 1; id <= 3; id++) {
        await points.take({ id, at: id, origin: 'manual' });
        await write(lun.points, lun.image, patterned(rng, UNIT), id * UNIT);
      }
      const refused: unknown[] = [];
      duringRestore = () => {
        try {
          points.pin(3);
        } catch (e) {
          refused.push(e);
        }
        // The point restored to stays; exposing it is fine.
        points.pin(2);
      };
      await points.restore(2, async () => undefined);
      duringRestore = undefined;
      expect(refused.length).toBeGreaterThan(0);
      for (const e of refused) expect(e).toBeInstanceOf(PointRefusedError);
      expect((refused[0] as Error).message).toMatch(/point 3 .*restor/);
      expect([...points.exposedIds()]).toEqual([2]);
      expect(points.list().map((p) => p.id)).toEqual([1, 2]);
      await expect(points.read(2, Buffer.alloc(4096), 0)).resolves.toBeUndefined();
      // Once the restore ended, a new point after 2 may be exposed as any other.
      await points.take({ id: 4, at: 4, origin: 'manual' });
      points.pin(4);
      expect([...points.exposedIds()].sort()).toEqual([2, 4]);
    } finally {
      await lun.cleanup();
    }
  });
});
