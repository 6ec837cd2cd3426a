import { describe, expect, it } from 'vitest';
import { forEachBounded } from '../../src/verify/bounded.js';

const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 1));

describe('bounded concurrency', () => {
  it('runs every index once and never more than the limit at a time', async () => {
    let running = 0;
    let peak = 0;
    const seen: number[] = [];
    await forEachBounded(50, 6, async (i) => {
      running++;
      peak = Math.max(peak, running);
      await tick();
      seen.push(i);
      running--;
    });
    expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(peak).toBe(6);
  });

  it('stops starting tasks after a failure and rethrows it once running ones settle', async () => {
    const started: number[] = [];
    let settled = 0;
    await expect(
      forEachBounded(100, 4, async (i) => {
        started.push(i);
        await tick();
        settled++;
        if (i === 5) throw new Error('boom 5');
      }),
    ).rejects.toThrow('boom 5');
    expect(started.length).toBeLessThan(20);
    expect(settled).toBe(started.length);
  });
});
