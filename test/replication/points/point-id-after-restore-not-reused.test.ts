/**
 * A node promoted after its newest points were removed (a restore to an older point, or a
 * full disk that dropped them) hands out point ids above every id its store ever took, not
 * the id after the newest it still holds: an id names one point in time, for good.
 */
import { afterEach, expect, it } from 'vitest';
import { silentLogger } from '../sim-backup.js';
import { ConsistencyGroup } from '../../../src/replication/points/consistency-group.js';
import { PointNotTakenError } from '../../../src/replication/points/consistency-group.js';
import type { Pair } from '../paired-nodes.js';
import { openPointPair } from './point-pair.js';

const pairs: Pair[] = [];
afterEach(async () => {
  for (const p of pairs.splice(0)) await p.close();
});

it('promote after a restore dropped the newest points: the next point id is above the removed ones', async () => {
  const { pair, points } = await openPointPair(pairs, { mode: 'continuous', flavour: 'sync' });
  const onA = new ConsistencyGroup([{ lun: 0, volume: pair.a.device }], { target: 'iqn.test:ids', clock: () => pair.clock.now, log: silentLogger });
  const first = await onA.createPoint('manual');
  await pair.a.device.write(Buffer.alloc(4096, 2), 0);
  await onA.createPoint('manual');
  await pair.a.device.write(Buffer.alloc(4096, 3), 0);
  const third = await onA.createPoint('manual');
  expect(points.list().map((p) => p.id)).toEqual([first.id, first.id + 1, third.id]);

  await pair.a.device.demote();
  await pair.b.device.points.restore(first.id);
  expect(points.newest()?.id).toBe(first.id);
  await pair.b.device.promote(true);
  const onB = new ConsistencyGroup([{ lun: 0, volume: pair.b.device }], { target: 'iqn.test:ids', clock: () => pair.clock.now, log: silentLogger });
  // The new backup (the old primary) keeps no points, so the point fails there: the id it was given is what counts.
  const next = await onB.createPoint('manual').then(
    (r) => r.id,
    (e: unknown) => (e instanceof PointNotTakenError ? e.id : Promise.reject(e)),
  );
  expect(next).toBeGreaterThan(third.id);
});
