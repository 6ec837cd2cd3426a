/**
 * A recovery point queued in continuous async mirroring, when the engine leaves continuous
 * mode on its own before the backup took it (here: its journal holds too many rewrites), is
 * taken again in delta mode with the next id: `point create` succeeds with everything
 * written before it, rather than failing over an internal switch. So is one whose plan was
 * made in continuous mirroring when the switch comes before its instant is fixed (an admin's
 * flavour change does not wait for the group): marked in the folded queue, it hung every
 * later pass of the group. A point whose failure is not a switch (the backup refuses it)
 * still fails, taken once.
 */
import { afterEach, expect, it } from 'vitest';
import pino from 'pino';
import { ConsistencyGroup, PointNotTakenError } from '../../../src/replication/points/consistency-group.js';
import type { PointHookPhase } from '../../../src/replication/points/point-hook.js';
import type { Pair } from '../paired-nodes.js';
import { openPointPair } from './point-pair.js';

const pairs: Pair[] = [];
afterEach(async () => {
  for (const p of pairs.splice(0)) await p.close();
});

const BLOCK = 4096;
const WRITES = 8;

it('a point dropped by a switch to delta is taken again in delta, with every write before it', async () => {
  const { pair, points } = await openPointPair(pairs, { mode: 'continuous', flavour: 'async' });
  const device = pair.a.device;
  const lines: Array<Record<string, unknown>> = [];
  const log = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
  const phases: PointHookPhase[] = [];
  let instantFixed!: () => void;
  const fixed = new Promise<void>((r) => (instantFixed = r));
  const group = new ConsistencyGroup([{ lun: 0, volume: device }], {
    target: 'iqn.test:retaken',
    clock: () => pair.clock.now,
    log,
    hook: async (phase) => {
      phases.push(phase);
      if (phase === 'after') instantFixed();
    },
  });

  // The backup takes no write for now: the changes, then the point, wait in the send queue.
  pair.a.link.hold();
  for (let i = 0; i < WRITES; i++) await device.write(Buffer.alloc(BLOCK, 0x40 + i), i * BLOCK);
  const created = group.createPoint('manual', 'before-switch');
  await fixed;
  const switched = device.switchToDelta('journal-redundant');
  pair.a.link.release();
  await switched;

  const result = await created;
  expect(device.status().state).toBe('delta');
  expect(phases).toEqual(['before', 'after', 'before', 'after']);
  expect(result.id).toBe(2);
  expect(points.list().map((p) => [p.id, p.origin, p.label])).toEqual([[2, 'manual', 'before-switch']]);
  const image = points.images.get(2)!;
  for (let i = 0; i < WRITES; i++) expect(image.subarray(i * BLOCK, (i + 1) * BLOCK).equals(Buffer.alloc(BLOCK, 0x40 + i)), `block ${i}`).toBe(true);
  expect(lines.filter((l) => l.event === 'point-retaken').map((l) => l.id)).toEqual([1]);
  expect(lines.filter((l) => l.event === 'point-failed')).toEqual([]);
});

it.each(['async', 'sync'] as const)('a switch to delta between the plan and the instant (%s): the point is taken again in delta', async (flavour) => {
  const { pair, points } = await openPointPair(pairs, { mode: 'continuous', flavour });
  const device = pair.a.device;
  const lines: Array<Record<string, unknown>> = [];
  const log = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
  for (let i = 0; i < WRITES; i++) await device.write(Buffer.alloc(BLOCK, 0x60 + i), i * BLOCK);
  let switched = false;
  const group = new ConsistencyGroup([{ lun: 0, volume: device }], {
    target: 'iqn.test:switched-before-instant',
    clock: () => pair.clock.now,
    log,
    // Runs once every volume is planned, before host writes are held for the instant.
    hook: async (phase) => {
      if (phase !== 'before' || switched) return;
      switched = true;
      await device.setMode('auto', flavour === 'async' ? 'sync' : 'async');
    },
  });

  const result = await group.createPoint('manual', 'switched');
  expect(device.status().state).toBe('delta');
  expect(result.id).toBe(2);
  expect(points.list().map((p) => [p.id, p.label])).toEqual([[2, 'switched']]);
  const image = points.images.get(2)!;
  for (let i = 0; i < WRITES; i++) expect(image.subarray(i * BLOCK, (i + 1) * BLOCK).equals(Buffer.alloc(BLOCK, 0x60 + i)), `block ${i}`).toBe(true);
  expect(lines.filter((l) => l.event === 'point-retaken').map((l) => l.id)).toEqual([1]);
});

it('a point the backup refuses is not taken again', async () => {
  const { pair, points } = await openPointPair(pairs, { mode: 'continuous', flavour: 'async' });
  const group = new ConsistencyGroup([{ lun: 0, volume: pair.a.device }], { target: 'iqn.test:refused', clock: () => pair.clock.now, log: pino({ level: 'silent' }) });
  await pair.a.device.write(Buffer.alloc(BLOCK, 1), 0);
  points.failNextTake = new Error('no space left on the point store');
  const failed = await group.createPoint('manual').then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(failed).toBeInstanceOf(PointNotTakenError);
  expect((failed as PointNotTakenError).id).toBe(1);
  expect(points.list()).toEqual([]);
  // The next point is taken (the refusal did not break the queue).
  expect((await group.createPoint('manual')).id).toBe(2);
});
