/**
 * After `tandem point restore` on a backup, the image holds no write newer than the point, and
 * promote and status say so. Found by hand (rolling back after corruption: demote, restore,
 * promote): promote reported "holds writes up to" the time of the last write applied before
 * the restore, writes the restore had just undone.
 */
import { afterEach, expect, it } from 'vitest';
import { silentLogger } from '../sim-backup.js';
import { ConsistencyGroup } from '../../../src/replication/points/consistency-group.js';
import type { Pair } from '../paired-nodes.js';
import { openPointPair } from './point-pair.js';

const pairs: Pair[] = [];
afterEach(async () => {
  for (const p of pairs.splice(0)) await p.close();
});

it('promote after a restore reports the point\'s time as the newest write held', async () => {
  const { pair, points } = await openPointPair(pairs, { mode: 'continuous', flavour: 'sync' });
  const group = new ConsistencyGroup([{ lun: 0, volume: pair.a.device }], { target: 'iqn.test:restore', clock: () => pair.clock.now, log: silentLogger });

  await pair.a.device.write(Buffer.alloc(4096, 1), 0);
  const point = await group.createPoint('manual');
  const pointAt = points.list().find((p) => p.id === point.id)!.at;
  pair.clock.now += 60_000;
  await pair.a.device.write(Buffer.alloc(4096, 2), 0);
  expect(pair.b.device.status().newestWriteAt).toBeGreaterThan(pointAt);

  await pair.a.device.demote();
  await pair.b.device.points.restore(point.id);
  expect(pair.b.device.status().newestWriteAt).toBe(pointAt);
  const promoted = await pair.b.device.promote(true);
  expect(promoted.newestWriteAt).toBe(pointAt);
});
