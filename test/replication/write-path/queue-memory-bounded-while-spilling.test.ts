/**
 * The send queue's memory is bounded even when the journal it spills to is slower than the
 * host: past twice the bound a host write waits for the spill to make room (backpressure,
 * as a slow disk would), instead of being queued in memory whatever the spill's pace.
 */
import { describe, expect, it } from 'vitest';
import { expectIdentical, openHarness, quiesce, reachContinuous } from '../device-harness.js';
import { tempMetaDir } from '../temp-meta.js';
import { gatedJournalFiles } from './gated-journal-files.js';
import { until } from './link-waits.js';

const B = 4096;
const BOUND = 8 * B;

describe('async mirroring: the queue memory while the journal lags', () => {
  it('holds host writes past twice the memory bound until the spill makes room, and loses none', async () => {
    const { files, release } = gatedJournalFiles();
    const h = await openHarness(tempMetaDir(), { mode: 'continuous', flavour: 'async', queueMemory: BOUND, files });
    await reachContinuous(h);
    const stalled = h.link.hold();
    let done = 0;
    const writes = Array.from({ length: 64 }, (_, i) => h.device.write(Buffer.alloc(B, i + 1), i * 16384).then(() => done++));
    // The spill waits on the journal: the writes that fit in twice the bound complete, the others wait.
    await until(() => done >= (2 * BOUND) / B);
    await new Promise((r) => setTimeout(r, 50));
    expect(done).toBeLessThanOrEqual((2 * BOUND) / B + 1);
    release();
    await Promise.all(writes);
    expect(done).toBe(64);
    stalled();
    await quiesce(h);
    await expectIdentical(h);
    await h.device.close();
  });
});
