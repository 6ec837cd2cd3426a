/**
 * An async primary whose shipper never confirms on its own: no engine tick, and the wall
 * clock (what the shipper's intervals read) stopped once a first write is confirmed. Only
 * what asks for a confirmation gets one. Call vi.useRealTimers() after the test.
 */
import { vi } from 'vitest';
import { openHarness, quiesce, reachContinuous, type Harness } from '../device-harness.js';
import { tempMetaDir } from '../temp-meta.js';

export async function frozenAsyncPrimary(options: Parameters<typeof openHarness>[1] = {}): Promise<Harness> {
  const h = await openHarness(tempMetaDir(), { mode: 'continuous', flavour: 'async', tickMs: 3_600_000, ...options });
  await reachContinuous(h);
  vi.useFakeTimers({ toFake: ['Date'] });
  // Past every interval once, so the first write is confirmed; from then on the clock stands still.
  vi.setSystemTime(Date.now() + 60_000);
  await h.device.write(Buffer.alloc(4096, 1), 0);
  await quiesce(h);
  return h;
}

/** Lets time move again past every interval: what is left is confirmed as usual. */
export async function thawAndQuiesce(h: Harness): Promise<void> {
  vi.setSystemTime(Date.now() + 60_000);
  await quiesce(h);
}
