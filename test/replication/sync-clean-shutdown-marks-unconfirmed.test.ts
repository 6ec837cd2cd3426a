/**
 * A clean shutdown of a synchronous primary whose backup did not confirm its last writes
 * (the backup lost power, or the link went, before a flush): those writes were applied on
 * both nodes but may not be durable on the backup. They are marked in the delta table, which
 * the next start trusts after a clean shutdown; they used to be dropped, so the restarted
 * pair mirrored on with the backup missing them.
 */
import { describe, expect, it } from 'vitest';
import { MemoryBlockStore } from '../../src/block/memory-store.js';
import { VOLUME, expectIdentical, openHarness, reachContinuous } from './device-harness.js';
import { FakeLink } from './fake-link.js';
import { tempMetaDir } from './temp-meta.js';

const B = 4096;

describe('sync mirroring: a clean shutdown with writes the backup never confirmed', () => {
  it('marks them, so the next start copies them to the backup', async () => {
    const dir = tempMetaDir();
    const local = new MemoryBlockStore({ size: VOLUME, path: 'primary' });
    const link = new FakeLink(VOLUME);
    const options = { mode: 'continuous' as const, flavour: 'sync' as const, shutdownDrainMs: 50 };
    const h = await openHarness(dir, options, { local, link });
    await reachContinuous(h);
    await h.device.write(Buffer.alloc(B, 7), 64 * 1024);
    // The backup's volatile cache is lost: what it applied since its last flush is gone.
    await link.backup.write(Buffer.alloc(B), 64 * 1024);
    link.cut = true;
    await h.device.close();
    link.cut = false;
    // The same image, opened again (as shutdown-during-switchover does).
    (local as unknown as { closed: boolean }).closed = false;
    const again = await openHarness(dir, options, { local, link });
    expect(again.device.status().dirtyChunks).toBeGreaterThan(0);
    for (let i = 0; i < 10 && again.device.status().state !== 'continuous'; i++) await again.tick(2000);
    await expectIdentical(again);
    await again.device.close();
  });
});
