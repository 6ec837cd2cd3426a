/**
 * Scheduled recovery points that take longer than their interval (a backlogged async queue,
 * a whole-volume pass per point in delta mode) do not pile up: while one waits to start,
 * the interval's ticks are skipped. Before, every tick queued another point behind the
 * running one, without bound, and they then ran back to back.
 */
import { afterEach, expect, it, vi } from 'vitest';
import { ConsistencyGroup } from '../../../src/replication/points/consistency-group.js';
import { capturedLog, type CapturedLog } from '../captured-log.js';
import { slowVolume } from './slow-volume.js';

afterEach(() => {
  vi.useRealTimers();
});

const INTERVAL_MS = 1000;

/** A group of one slow volume, points scheduled every INTERVAL_MS on fake timers; `events`: what it logged. */
function scheduledGroup(): ReturnType<typeof slowVolume> & Pick<CapturedLog, 'events'> & { group: ConsistencyGroup } {
  vi.useFakeTimers();
  const slow = slowVolume();
  const { logger: log, events } = capturedLog();
  const group = new ConsistencyGroup([{ lun: 0, volume: slow.volume }], { target: 'iqn.test:scheduled', clock: () => Date.now(), log });
  group.schedule(INTERVAL_MS);
  return { ...slow, group, events };
}

it('ticks while a scheduled point waits to start are skipped: one runs, one waits, no more', async () => {
  const { group, fixed, finishCurrent, events } = scheduledGroup();

  // Ten intervals while the first point never completes.
  await vi.advanceTimersByTimeAsync(10 * INTERVAL_MS);
  expect(fixed).toEqual([1]);

  // It completes: the one waiting starts at once; the ticks skipped meanwhile are gone.
  finishCurrent();
  await vi.advanceTimersByTimeAsync(0);
  expect(fixed).toEqual([1, 2]);
  finishCurrent();
  await vi.advanceTimersByTimeAsync(0);
  expect(fixed).toEqual([1, 2]);

  // Then the cadence resumes, a point an interval.
  await vi.advanceTimersByTimeAsync(INTERVAL_MS);
  expect(fixed).toEqual([1, 2, 3]);
  finishCurrent();
  await vi.advanceTimersByTimeAsync(0);
  group.close();

  // Point 2 was queued at the second tick; the eight after it, to the tenth, were skipped (joined it): its line says so.
  const created = events('point-created').map((l) => [l.id, l.joined]);
  expect(created).toEqual([
    [1, undefined],
    [2, 8],
    [3, undefined],
  ]);
});

it('a point asked for by an admin is never skipped, beside a waiting scheduled one', async () => {
  const { group, fixed, finishCurrent } = scheduledGroup();
  await vi.advanceTimersByTimeAsync(2 * INTERVAL_MS);
  const manual = group.createPoint('manual', 'mine');
  for (let i = 0; i < 3; i++) {
    finishCurrent();
    await vi.advanceTimersByTimeAsync(0);
  }
  const result = await manual;
  expect(result.id).toBe(3);
  expect(fixed).toEqual([1, 2, 3]);
  group.close();
});
