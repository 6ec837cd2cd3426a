/**
 * A delta-mode volume plans a recovery point by opening the copy-on-write scratch its pass
 * will need (no I/O under the hold). A point whose instant is never fixed — the "before" hook
 * failed, another volume of the group could not plan, or its mirroring switched mode before
 * the instant (the point dropped) — must close and remove that scratch: nothing else ever
 * would (the file and its descriptor stayed until the next pass).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import pino from 'pino';
import { SNAPSHOT_FILE } from '../../../src/replication/pass-snapshot.js';
import { ConsistencyGroup, type GroupMember } from '../../../src/replication/points/consistency-group.js';
import { planPoint, type MirrorMode, type PointPlanning } from '../../../src/replication/points/point-planner.js';
import type { BlockDevice } from '../../../src/block/device.js';
import type { FrozenPass } from '../../../src/replication/pass-runner.js';
import type { Pair } from '../paired-nodes.js';
import { openPointPair } from './point-pair.js';

const pairs: Pair[] = [];
afterEach(async () => {
  for (const p of pairs.splice(0)) await p.close();
});

const silent = pino({ level: 'silent' });

it('a failed "before" hook leaves no scratch behind, and the next point is taken', async () => {
  const { pair, points } = await openPointPair(pairs, { mode: 'delta' });
  let failBefore = true;
  const group = new ConsistencyGroup([{ lun: 0, volume: pair.a.device }], {
    target: 'iqn.test:hook-fails',
    clock: () => pair.clock.now,
    log: silent,
    hook: async (phase) => {
      if (phase === 'before' && failBefore) throw new Error('fsfreeze failed');
    },
  });
  await pair.a.device.write(Buffer.alloc(4096, 7), 0);
  await expect(group.createPoint('manual')).rejects.toThrow(/fsfreeze failed/);
  expect(existsSync(join(pair.a.metaDir, SNAPSHOT_FILE))).toBe(false);

  failBefore = false;
  expect((await group.createPoint('manual')).id).toBe(2);
  expect(points.list().map((p) => p.id)).toEqual([2]);
  expect(existsSync(join(pair.a.metaDir, SNAPSHOT_FILE))).toBe(false);
});

it('a volume planned while another of the group could not plan leaves no scratch behind', async () => {
  const { pair } = await openPointPair(pairs, { mode: 'delta' });
  const unplannable: GroupMember = {
    lun: 1,
    volume: {
      role: 'primary',
      exclusive: (fn) => fn(),
      holding: (fn) => fn(),
      // Slower than the delta volume's plan, so that one has opened its scratch by the time this fails.
      planPoint: () => new Promise((_, reject) => setTimeout(() => reject(new Error('the replica is not usable yet')), 20)),
      lastPointId: 0,
      notePointId: async () => undefined,
    },
  };
  const group = new ConsistencyGroup([{ lun: 0, volume: pair.a.device }, unplannable], { target: 'iqn.test:plan-fails', clock: () => pair.clock.now, log: silent });
  await expect(group.createPoint('manual')).rejects.toThrow(/not usable yet/);
  expect(existsSync(join(pair.a.metaDir, SNAPSHOT_FILE))).toBe(false);
});

it('a delta plan dropped by a switch of mode before its instant releases its scratch; a fixed one leaves it to its pass', async () => {
  let mode: MirrorMode = { state: 'delta', flavour: 'async' };
  const scratch = { path: 'scratch' } as BlockDevice;
  const closed: BlockDevice[] = [];
  const planning = {
    mode: () => mode,
    passes: {
      openScratch: async () => scratch,
      closeScratch: async (s: BlockDevice) => void closed.push(s),
      freeze: () => ({}) as FrozenPass,
    },
  } as unknown as PointPlanning;
  const marker = { id: 1, at: 0, origin: 'manual' } as const;

  const dropped = await planPoint(planning);
  mode = { state: 'continuous', flavour: 'async' };
  await expect(dropped.fix(marker).after()).rejects.toThrow(/switched to continuous/);
  await dropped.release();
  await dropped.release();
  expect(closed).toEqual([scratch]);

  mode = { state: 'delta', flavour: 'async' };
  const fixed = await planPoint(planning);
  fixed.fix(marker);
  await fixed.release();
  expect(closed).toEqual([scratch]);
});
