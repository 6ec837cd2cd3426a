/**
 * A backup that cannot take a point (its disk is full) takes nothing: `createPoint` fails
 * with one line naming the LUN and the cause, the backup lists no such point, replication
 * goes on, and the next point gets a new id (a failed id is never reused).
 */
import { afterEach, expect, it } from 'vitest';
import { silentLogger } from '../sim-backup.js';
import { ConsistencyGroup, PointNotTakenError } from '../../../src/replication/points/consistency-group.js';
import type { Pair } from '../paired-nodes.js';
import { openPointPair } from './point-pair.js';

const pairs: Pair[] = [];
afterEach(async () => {
  for (const p of pairs.splice(0)) await p.close();
});

it('a point the backup cannot take (ENOSPC) fails with one line, lists nothing, and the next id is new', async () => {
  const { pair, points } = await openPointPair(pairs, { mode: 'continuous', flavour: 'async' });
  const group = new ConsistencyGroup([{ lun: 0, volume: pair.a.device }], { target: 'iqn.test:full', clock: () => pair.clock.now, log: silentLogger });

  await pair.a.device.write(Buffer.alloc(4096, 1), 0);
  points.failNextTake = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
  const failed = await group.createPoint('manual', 'full').catch((e: unknown) => e);
  expect(failed).toBeInstanceOf(PointNotTakenError);
  expect((failed as Error).message).toMatch(/^recovery point 1 was not taken: LUN 0: .*no space left on device/);
  expect((failed as Error).message).not.toContain('\n');
  expect(points.list()).toEqual([]);

  // Replication went on: a write after the failure reaches the next point, whose id is new.
  await pair.a.device.write(Buffer.alloc(4096, 2), 4096);
  const next = await group.createPoint('manual');
  expect(next.id).toBe(2);
  expect(points.list().map((p) => p.id)).toEqual([2]);
  expect(points.images.get(2)!.subarray(4096, 8192)).toEqual(Buffer.alloc(4096, 2));
});
