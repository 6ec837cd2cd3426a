/**
 * After `tandem point restore` on a backup, the image holds no write newer than the point, and
 * promote and status say so. Found by hand (rolling back after corruption: demote, restore,
 * promote): promote reported "holds writes up to" the time of the last write applied before
 * the restore, writes the restore had just undone.
 */
import { afterEach, expect, it } from 'vitest';
import { silentLogger } from '../sim-backup.js';
import { ConsistencyGroup } from '../../../src/replication/points/consistency-group.js';
import { Pair } from '../paired-nodes.js';
import { FullCopyPoints } from './full-copy-points.js';

const pairs: Pair[] = [];
afterEach(async () => {
  for (const p of pairs.splice(0)) await p.close();
});

it('promote after a restore reports the point\'s time as the newest write held', async () => {
  const pair = new Pair();
  pairs.push(pair);
  const points = new FullCopyPoints(pair.b.store);
  pair.b.points = points;
  await pair.b.open('backup', { mode: 'continuous', flavour: 'sync' });
  await pair.a.open('primary', { mode: 'continuous', flavour: 'sync' });
  await pair.tickUntil(() => pair.a.device.status().state === 'continuous', 200, 61_000);
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
