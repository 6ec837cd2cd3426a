import { afterEach, expect, it, vi } from 'vitest';
import { waitAtMost } from '../../src/util/wait-at-most.js';

afterEach(() => vi.useRealTimers());

it('true once the work settles in time, whether it succeeded or failed', async () => {
  expect(await waitAtMost(Promise.resolve(1), 1000)).toBe(true);
  expect(await waitAtMost(Promise.reject(new Error('refused')), 1000)).toBe(true);
});

it('false once the time runs out, the work still running (its later failure reported nowhere)', async () => {
  vi.useFakeTimers();
  let fail!: (e: Error) => void;
  const work = new Promise<void>((_, reject) => (fail = reject));
  const waited = waitAtMost(work, 5000);
  await vi.advanceTimersByTimeAsync(4999);
  let done = false;
  void waited.then(() => (done = true));
  await vi.advanceTimersByTimeAsync(0);
  expect(done).toBe(false);
  await vi.advanceTimersByTimeAsync(1);
  expect(await waited).toBe(false);
  fail(new Error('late'));
  expect(vi.getTimerCount()).toBe(0);
});
