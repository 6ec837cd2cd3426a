/**
 * A host write's range is free again by the time its caller hears the result, whether the
 * write succeeded or failed: a write to the same range issued from that continuation starts
 * at once (HostWriteOrder's path without waiting), instead of queueing behind a lock that a
 * failure never gave back or that is given back only later.
 */
import { expect, it } from 'vitest';
import { HostWriteOrder } from '../../src/replication/host-write-order.js';

const range = { offset: 8192, length: 4096 };

async function startsAtOnceAfter(first: () => Promise<void>): Promise<boolean> {
  const order = new HostWriteOrder();
  let started = false;
  // Not awaited: a range still held would keep it waiting; only whether it started at once counts.
  const next = (): boolean => (void order.run(range, async () => void (started = true)), started);
  return order.run(range, first).then(next, next);
}

it('after a write that succeeded', async () => {
  expect(await startsAtOnceAfter(async () => undefined)).toBe(true);
});

it('after a write that failed, whose error the caller still gets', async () => {
  const order = new HostWriteOrder();
  await expect(order.run(range, () => Promise.reject(new Error('EIO on the image')))).rejects.toThrow('EIO on the image');
  expect(await startsAtOnceAfter(() => Promise.reject(new Error('EIO')))).toBe(true);
});

it('a write overlapping one in progress waits for it', async () => {
  const order = new HostWriteOrder();
  const events: string[] = [];
  let finishFirst!: () => void;
  const first = order.run(range, () => new Promise<void>((r) => (finishFirst = () => (events.push('first done'), r()))));
  const second = order.run({ offset: 12287, length: 1 }, async () => void events.push('second starts'));
  await new Promise((r) => setImmediate(r));
  expect(events).toEqual([]);
  finishFirst();
  await Promise.all([first, second]);
  expect(events).toEqual(['first done', 'second starts']);
});
