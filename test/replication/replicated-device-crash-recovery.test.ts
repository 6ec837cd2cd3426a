import { randomBytes } from 'node:crypto';
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MemoryBlockStore } from '../../src/block/memory-store.js';
import { VOLUME, expectIdentical, openHarness, reachContinuous } from './device-harness.js';
import { FakeLink } from './fake-link.js';
import { tempMetaDir } from './temp-meta.js';

describe('async mode: primary crash with entries still in the journal', () => {
  it('no acknowledged write is missing after restart, and the backup converges', async () => {
    const dir = tempMetaDir();
    const h = await openHarness(dir, { mode: 'auto', flavour: 'async' });
    await reachContinuous(h);
    const release = h.link.hold(); // the flusher is stuck mid-batch when we "crash"
    const shadow = new MemoryBlockStore({ size: VOLUME });
    for (let i = 0; i < 40; i++) {
      const data = randomBytes(4096);
      const offset = (i * 7919 * 4096) % (VOLUME - 4096);
      await h.device.write(data, offset);
      await shadow.write(data, offset);
    }
    expect(h.device.status().journal.entries).toBeGreaterThan(0);
    // The crash: the metadata as it is now, a local store that lost every write, and the backup as it was.
    const crashed = join(tempMetaDir(), 'meta');
    cpSync(dir, crashed, { recursive: true });
    const link = new FakeLink(VOLUME);
    link.tags = [...h.link.tags];
    const backupImage = Buffer.alloc(VOLUME);
    await h.link.backup.read(backupImage, 0);
    await link.backup.write(backupImage, 0);

    const restarted = await openHarness(crashed, { mode: 'auto', flavour: 'async' }, { local: new MemoryBlockStore({ size: VOLUME }), link });
    // Writes acknowledged before the "crash" but never flushed locally come back from the journal;
    // those trimmed earlier were flushed to the backup and are the same on both.
    for (const [a, b] of [[0, VOLUME]] as const) {
      const mine = Buffer.alloc(b - a);
      await restarted.local.read(mine, a);
      const backupSide = Buffer.alloc(b - a);
      await link.backup.read(backupSide, a);
      const expected = Buffer.alloc(b - a);
      await shadow.read(expected, a);
      // Every byte is either the acknowledged data (replayed) or already on the backup (trimmed).
      for (let i = 0; i < expected.length; i += 4096) {
        const ok = mine.subarray(i, i + 4096).equals(expected.subarray(i, i + 4096)) || backupSide.subarray(i, i + 4096).equals(expected.subarray(i, i + 4096));
        if (!ok) throw new Error(`acknowledged data missing at ${a + i}`);
      }
    }
    expect(restarted.device.status().state).toBe('delta');
    await reachContinuous(restarted);
    await expectIdentical(restarted);
    h.link.cut = true;
    release();
    await h.device.close();
    await restarted.device.close();
  });
});
