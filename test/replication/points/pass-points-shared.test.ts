/**
 * Delta passes committed while a pass point waits to start share it: one point of the
 * group for all of them, whose `point-created` line counts the passes that joined it. A
 * point asked for by an admin meanwhile is taken on its own.
 */
import { expect, it } from 'vitest';
import { ConsistencyGroup } from '../../../src/replication/points/consistency-group.js';
import { capturedLog } from '../captured-log.js';
import { slowVolume } from './slow-volume.js';

const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

it('passes committed while a pass point waits share it; its line says how many joined', async () => {
  const { volume, fixed, finishCurrent } = slowVolume();
  const { logger: log, events } = capturedLog();
  const group = new ConsistencyGroup([{ lun: 0, volume }], { target: 'iqn.test:passes', clock: () => Date.now(), log });

  group.passCommitted();
  await settle();
  expect(fixed).toEqual([1]);
  // Point 1 runs; the next pass queues point 2, and three more join it.
  for (let i = 0; i < 4; i++) group.passCommitted();
  const manual = group.createPoint('manual');
  await settle();
  expect(fixed).toEqual([1]);

  for (let i = 0; i < 4; i++) {
    finishCurrent();
    await settle();
  }
  expect((await manual).id).toBe(3);
  expect(fixed).toEqual([1, 2, 3]);

  const created = events('point-created').map((l) => [l.id, l.origin, l.joined]);
  expect(created).toEqual([
    [1, 'pass', undefined],
    [2, 'pass', 3],
    [3, 'manual', undefined],
  ]);
});
