/**
 * A journal batch still on its way to the backup when async mirroring switches to delta
 * must not land after a delta pass: it would overwrite newer chunk images there while
 * the delta table says the chunk is clean. Deterministic: the simulated link holds the
 * batch's WRITE until everything else is done, as a slow link may.
 */
import { describe, expect, it } from 'vitest';
import { PowerLossWorld } from './power-loss-world.js';

describe('async → delta with a shipped batch in flight', () => {
  it('an admin pass waits for the batch; the pair ends identical', async () => {
    const w = new PowerLossWorld({ mode: 'async', steps: [], crashAfter: 0, crashExtra: 0, seed: 1, keepPrimary: 'none', backupCrash: undefined, journalCapacity: 1 << 20 });
    await w.start();
    w.issue({ kind: 'write', block: 0, blocks: 2, fua: false });
    await w.runHolding('deliver write');
    expect(w.scheduler.describe()).toEqual(['link#0:deliver write']); // the shipper's batch, in flight
    w.issue({ kind: 'to-delta' });
    w.issue({ kind: 'write', block: 1, blocks: 2, fua: false }); // overwrites block 1 of the batch's write
    w.issue({ kind: 'replicate' });
    await w.runHolding('deliver write');
    await w.idle('the held batch lands');
    expect(w.failures).toEqual([]);
    const s = w.device.status();
    // Either the pair is identical already, or the delta table still marks what differs.
    if (s.dirtyChunks === 0) expect(w.primary.image().equals(w.backup.image.image())).toBe(true);
    await w.converge('after the batch');
    expect(w.primary.image().equals(w.backup.image.image())).toBe(true);
  });
});
