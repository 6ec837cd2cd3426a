/**
 * A delta-mode recovery point freezes a pass under the hold (the table's copy set, and the
 * copy-on-write snapshot in front of the image) and runs it after. When the peer no longer
 * follows by then, the pass never runs — and must not leave its snapshot in front of the
 * image (every host write to a frozen chunk copied to the scratch first), its scratch open,
 * or its chunks half-way through a copy: they stay marked for the next pass.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SNAPSHOT_FILE } from '../../src/replication/pass-snapshot.js';
import { openHarness } from './device-harness.js';
import { silentLogger } from './sim-backup.js';
import { tempMetaDir } from './temp-meta.js';

describe('a pass frozen for a recovery point that never runs', () => {
  it('takes its snapshot down and leaves its chunks marked', async () => {
    const metaDir = tempMetaDir();
    const h = await openHarness(metaDir, { mode: 'delta', logger: silentLogger });
    await h.device.replicateNow();
    await h.device.write(Buffer.alloc(4096, 1), 0);
    await h.device.exclusive(async () => {
      const plan = await h.device.planPoint();
      const steps = await h.device.holding(async () => plan.fix({ id: 1, at: h.clock.now, origin: 'manual' }));
      // The link fails before `after` runs; a tick sees it and the peer no longer follows.
      h.link.cut = true;
      await h.tick();
      await expect(steps.after()).rejects.toThrow(/no longer follows/);
    });
    const order = (h.device as unknown as { order: { snapshot: unknown } }).order;
    expect(order.snapshot).toBeUndefined();
    expect(existsSync(join(metaDir, SNAPSHOT_FILE))).toBe(false);
    expect(h.device.status().dirtyChunks).toBe(1);
    // The next pass copies the chunk.
    h.link.cut = false;
    await h.tick();
    await h.device.replicateNow();
    expect(h.device.status().dirtyChunks).toBe(0);
    const a = Buffer.alloc(4096);
    const b = Buffer.alloc(4096);
    await h.local.read(a, 0);
    await h.link.backup.read(b, 0);
    expect(b.equals(a)).toBe(true);
    await h.device.close();
  });
});
