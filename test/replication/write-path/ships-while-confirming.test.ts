/**
 * A confirmation (a flush of each image) runs beside the shipping, not in front of it: with
 * a few hundred MiB dirty a flush takes a second or more, and changes the host writes
 * meanwhile would pile up unshipped (spilling to the journal past the memory bound). The
 * confirmation covers what was shipped when it began; what was shipped since waits for the
 * next one.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { until, wrote } from './link-waits.js';
import { frozenAsyncPrimary, thawAndQuiesce } from './frozen-primary.js';

const B = 4096;

describe('shipper: a confirmation in progress', () => {
  afterEach(() => vi.useRealTimers());

  it('does not hold back the changes written meanwhile, and confirms only those shipped before it began', async () => {
    const h = await frozenAsyncPrimary();
    await h.device.write(Buffer.alloc(B, 2), B);
    await until(() => wrote(h, B));

    // The backup's flushes now wait for the test.
    const pendingFlushes: Array<() => void> = [];
    const flush = h.link.flush.bind(h.link);
    h.link.flush = (ordered?: boolean) => new Promise<void>((resolve) => pendingFlushes.push(resolve)).then(() => flush(ordered));

    // Past the confirmation interval: the next look at the queue starts one.
    vi.setSystemTime(Date.now() + 31_000);
    await h.device.write(Buffer.alloc(B, 3), 2 * B);
    await until(() => pendingFlushes.length === 1);
    // The host goes on writing while the backup's flush is in progress: each change is shipped.
    for (let i = 3; i <= 6; i++) {
      await h.device.write(Buffer.alloc(B, i + 1), i * B);
      await until(() => wrote(h, i * B));
    }
    expect(pendingFlushes).toHaveLength(1);
    const queued = h.device.status().journal.entries;
    expect(queued).toBeGreaterThanOrEqual(5);

    // The flush completes: what was shipped before it began leaves the queue, the rest stays.
    pendingFlushes.shift()!();
    await until(() => h.device.status().journal.entries < queued);
    expect(h.device.status().journal.entries).toBeGreaterThanOrEqual(4);

    h.link.flush = flush;
    await thawAndQuiesce(h);
    expect(h.device.status().journal.entries).toBe(0);
    await h.device.close();
  });
});
