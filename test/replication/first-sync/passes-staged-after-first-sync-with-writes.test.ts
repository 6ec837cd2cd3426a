/**
 * A first sync the host writes during completes with the backup holding a whole image of the
 * pass's instant, but chunks still marked. Passes are staged once the backup holds a whole
 * image: recorded only after a pass that left nothing dirty, under steady writes no later
 * pass was staged, and one cut short left the backup a mix of two instants.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { openHarness, VOLUME, type Harness } from '../device-harness.js';
import { tempMetaDir } from '../temp-meta.js';

const CHUNK = 64 * 1024;

async function backupHash(h: Harness): Promise<string> {
  return (await h.link.backup.sha256(0, VOLUME)).toString('hex');
}

describe('passes after a first sync the host wrote during', () => {
  it('are staged once the backup holds a full copy, so a pass cut short leaves it at its previous image', async () => {
    const h = await openHarness(tempMetaDir(), { mode: 'delta' });
    // Some data, then the first sync; the host writes chunk 15 while it runs.
    await h.device.write(Buffer.alloc(12 * CHUNK, 0x11), 0);
    const allocation = h.link.allocation.bind(h.link);
    let wrote = false;
    h.link.allocation = async (...args) => {
      if (!wrote) {
        wrote = true;
        await h.device.write(Buffer.alloc(4096, 0x99), 15 * CHUNK);
      }
      return allocation(...args);
    };
    const first = await h.device.replicateNow();
    expect(first.chunks).toBe(VOLUME / CHUNK);
    expect(wrote).toBe(true);
    // The backup holds the image of the first pass's start: a whole, consistent copy.
    const afterFirst = await backupHash(h);
    expect(createHash('sha256').update(Buffer.concat([Buffer.alloc(12 * CHUNK, 0x11), Buffer.alloc(VOLUME - 12 * CHUNK)])).digest('hex')).toBe(afterFirst);
    expect(h.device.status().dirtyChunks).toBe(1);

    // The host rewrites chunks 0..11; the next pass is cut short after its first write.
    await h.device.write(Buffer.alloc(12 * CHUNK, 0x22), 0);
    const write = h.link.write.bind(h.link);
    let writes = 0;
    h.link.write = (...args) => {
      if (++writes > 1) h.link.cut = true;
      return write(...args);
    };
    // Staged, the pass is cut alike.
    h.link.cutAfterStagedWrites = 1;
    await expect(h.device.replicateNow()).rejects.toThrow();
    // A backup that had a consistent image keeps it when a pass fails (staging).
    expect(await backupHash(h)).toBe(afterFirst);
    h.link.cut = false;
    h.link.cutAfterStagedWrites = undefined;
    await h.device.close();
  });
});
