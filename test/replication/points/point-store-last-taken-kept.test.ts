/**
 * The point store's highest id taken outlives the points themselves: a restore that drops
 * the newest points, a prune of the newest, and a restart leave it where it was, so a node
 * promoted later hands out ids above it (replicated-device.ts lastPointId).
 */
import { expect, it } from 'vitest';
import { openLun, reopen, write } from './point-harness.js';

const SIZE = 1024 * 1024;

it('lastTaken stays at the highest id taken after a restore, a prune of the newest, and a reopen', async () => {
  const lun = await openLun(SIZE);
  try {
    for (const id of [1, 2, 3]) {
      await write(lun.points, lun.image, Buffer.alloc(4096, id), 0);
      await lun.points.take({ id, at: id, origin: 'manual' });
    }
    await lun.points.restore(2);
    expect(lun.points.newest()?.id).toBe(2);
    expect(lun.points.lastTaken()).toBe(3);
    await lun.points.prune(2);
    expect(lun.points.newest()?.id).toBe(1);
    expect(lun.points.lastTaken()).toBe(3);
    await reopen(lun);
    expect(lun.points.lastTaken()).toBe(3);
    await expect(lun.points.take({ id: 3, at: 4, origin: 'manual' })).rejects.toThrow();
  } finally {
    await lun.cleanup();
  }
});
