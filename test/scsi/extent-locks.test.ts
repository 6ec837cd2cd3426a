import { describe, expect, it } from 'vitest';
import { RangeLocks } from '../../src/scsi/extent-locks.js';

describe('extent locks', () => {
  it('overlapping ranges serialise; disjoint ones do not wait', async () => {
    const locks = new RangeLocks();
    const order: string[] = [];
    const r1 = await locks.acquire(0, 10);
    const disjoint = await locks.acquire(10, 5);
    const waiting = locks.acquire(5, 1).then((r) => { order.push('overlap'); r(); });
    await new Promise((r) => setImmediate(r));
    expect(order).toEqual([]);
    r1();
    await waiting;
    expect(order).toEqual(['overlap']);
    disjoint();
    expect(locks.size).toBe(0);
  });
});
