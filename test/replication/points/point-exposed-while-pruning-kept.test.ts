/**
 * A point exposed (BackupPoints.pin, `tandem point expose`) while points are being removed
 * is kept: retention asks whether a point is exposed as that point's turn comes, not once
 * when it starts, and so does giving points up for space (each candidate as it is tried).
 * Asked once, a point exposed after the start and not yet reached was pruned under its
 * exposure.
 */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { HostWriteOrder } from '../../../src/replication/host-write-order.js';
import { BackupPoints } from '../../../src/replication/points/backup-points.js';
import { PointsGivenUpForSpace } from '../../../src/replication/points/out-of-space.js';
import { openLun, patterned, prng, silentLogger, write } from './point-harness.js';

const SIZE = 1024 * 1024;
const HOUR = 3_600_000;

describe('a point exposed while points are being removed', () => {
  it('is not pruned by the retention already running', async () => {
    let points: BackupPoints | undefined;
    const pruned: number[] = [];
    // The store's own log line says point 1 went: retention is running, points 2 and 3 still to come.
    const logger = pino({ level: 'info' }, {
      write(line: string) {
        const e = JSON.parse(line) as { event?: string; id?: number };
        if (e.event !== 'point-pruned') return;
        pruned.push(e.id!);
        if (e.id === 1) points!.pin(3);
      },
    });
    const lun = await openLun(SIZE, { logger });
    try {
      const rng = prng(7);
      const now = 10 * HOUR;
      points = new BackupPoints(lun.points, new HostWriteOrder(), () => true, silentLogger, { last: 100, hourly: 0, daily: 0 }, () => now);
      for (let id = 1; id <= 4; id++) {
        await points.take({ id, at: now - (10 - id) * 1000, origin: 'scheduled' });
        await write(lun.points, lun.image, patterned(rng, 8192), 4096 * id);
      }
      expect(points.list().map((p) => p.id)).toEqual([1, 2, 3, 4]);
      // Tightened: 1, 2 and 3 are to go; 3 is exposed once 1 went.
      expect(await points.setRetention({ last: 1, hourly: 0, daily: 0 })).toEqual([1, 2]);
      expect(pruned).toEqual([1, 2]);
      expect(points.list().map((p) => p.id)).toEqual([3, 4]);
      expect(points.exposedIds().has(3)).toBe(true);
      await expect(points.read(3, Buffer.alloc(4096), 0)).resolves.toBeUndefined();
      // Unexposed, it goes at the next run.
      points.unpin(3);
      expect(await points.setRetention({ last: 1, hourly: 0, daily: 0 })).toEqual([3]);
    } finally {
      await lun.cleanup();
    }
  });

  it('is not given up for space by the shortage already being handled', async () => {
    const outOfSpace = () => Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    const ids = [1, 2, 3];
    const exposed = new Set<number>();
    const tried: number[] = [];
    let copies = 0;
    const store = {
      // The first copy does not fit; once a point went, it does.
      beforeOverwrite: () => (copies++ === 0 ? Promise.reject(outOfSpace()) : undefined),
      list: () => ids.map((id) => ({ id, at: id, origin: 'manual' as const, bytes: 0 })),
      // As PointStore.dropForSpace: a point `spared` names when its turn comes stays (false).
      dropForSpace: async (id: number, spared?: (id: number) => boolean) => {
        tried.push(id);
        if (spared?.(id)) return false;
        // Giving up 1 moves nothing... but here its catalogue write does not fit either; meanwhile 2 is exposed.
        if (id === 1) {
          exposed.add(2);
          throw outOfSpace();
        }
        ids.splice(ids.indexOf(id), 1);
        return true;
      },
    };
    // A copy each time, as NodePoints.exposedIds gives.
    await new PointsGivenUpForSpace(store, () => new Set(exposed)).beforeOverwrite(0, 4096);
    expect(ids).toEqual([1, 2]);
    expect(tried).toEqual([1, 2, 3]);
  });

  it('is left in place by the store when it is spared at its turn', async () => {
    const lun = await openLun(SIZE);
    try {
      for (let id = 1; id <= 2; id++) await lun.points.take({ id, at: id, origin: 'manual' });
      expect(await lun.points.dropForSpace(1, (id) => id === 1)).toBe(false);
      expect(await lun.points.applyRetention({ last: 1, hourly: 0, daily: 0 }, 0, (id) => id === 1)).toEqual([]);
      expect(lun.points.list().map((p) => p.id)).toEqual([1, 2]);
    } finally {
      await lun.cleanup();
    }
  });
});
