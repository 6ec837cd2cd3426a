/**
 * A primary that crashes with changes still queued for the backup comes back marking, from
 * its activity log, exactly the extents those changes hit: it starts in delta mode, the
 * passes move only what differs, and the pair converges. (Power-loss properties prove the
 * general claim; this is the plain, readable case.)
 */
import { randomBytes } from 'node:crypto';
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MemoryBlockStore } from '../../src/block/memory-store.js';
import { VOLUME, expectIdentical, openHarness, reachContinuous } from './device-harness.js';
import { FakeLink } from './fake-link.js';
import { tempMetaDir } from './temp-meta.js';

const EXTENT = 64 * 1024;

describe('async mode: primary crash with changes still queued', () => {
  it('the restart marks the hot extents, starts in delta and converges', async () => {
    const dir = tempMetaDir();
    const options = { mode: 'auto', flavour: 'async', activityExtentSize: EXTENT } as const;
    const h = await openHarness(dir, options);
    await reachContinuous(h);
    const release = h.link.hold(); // the shipper is stuck mid-batch when we "crash"
    const hit = new Set<number>();
    for (let i = 0; i < 6; i++) {
      const offset = ((i * 5 + 1) % (VOLUME / EXTENT)) * EXTENT + 4096;
      hit.add(offset / EXTENT >> 0);
      await h.device.write(randomBytes(4096), offset, true);
    }
    expect(h.device.status().journal.entries).toBeGreaterThan(0);
    // The crash: the metadata as it is now, the local image as acknowledged (FUA), the backup as it was.
    const crashed = join(tempMetaDir(), 'meta');
    cpSync(dir, crashed, { recursive: true });
    const local = new MemoryBlockStore({ size: VOLUME, path: 'primary' });
    const image = Buffer.alloc(VOLUME);
    await h.local.read(image, 0);
    await local.write(image, 0);
    const link = new FakeLink(VOLUME);
    link.tags = [...h.link.tags];
    const backupImage = Buffer.alloc(VOLUME);
    await h.link.backup.read(backupImage, 0);
    await link.backup.write(backupImage, 0);

    const restarted = await openHarness(crashed, options, { local, link });
    const status = restarted.device.status();
    expect(status.state).toBe('delta');
    // Every extent a queued change hit is marked (one 64 KiB chunk per extent here), and nothing else.
    expect(status.dirtyChunks).toBe(hit.size);
    await reachContinuous(restarted);
    await expectIdentical(restarted);
    h.link.cut = true;
    release();
    await h.device.close();
    await restarted.device.close();
  });
});
