/**
 * Host discards (UNMAP) are replicated: sent as UNMAP in both flavours (queued in async
 * mirroring, kept across a clean shutdown as DISCARD records of the staging journal), and
 * continuous mirroring stays on.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MemoryBlockStore } from '../../src/block/memory-store.js';
import { StagingJournal } from '../../src/replication/staging-journal.js';
import { FakeLink } from './fake-link.js';
import { expectIdentical, openHarness, quiesce, reachContinuous, VOLUME } from './device-harness.js';
import { tempMetaDir } from './temp-meta.js';

const CHUNK = 64 * 1024;

async function zeroes(store: { read(b: Buffer, o: number): Promise<void> }, offset: number, length: number): Promise<boolean> {
  const b = Buffer.alloc(length, 0xff);
  await store.read(b, offset);
  return b.equals(Buffer.alloc(length));
}

describe('discards are replicated', () => {
  it.each(['sync', 'async'] as const)('%s: written then discarded ranges read as zeroes on both sides; mirroring stays continuous', async (flavour) => {
    const h = await openHarness(tempMetaDir(), { mode: 'auto', flavour });
    await reachContinuous(h);
    expect(h.device.canDiscard).toBe(true);
    await h.device.write(randomBytes(4 * CHUNK), 2 * CHUNK);
    await h.device.discard(3 * CHUNK, CHUNK + 4096);
    await h.device.write(randomBytes(4096), 3 * CHUNK + 8192); // after the discard, inside it
    if (flavour === 'async') await quiesce(h);
    expect(h.device.status().state).toBe('continuous');
    expect(h.link.discards).toBe(1);
    expect(await zeroes(h.link.backup, 3 * CHUNK, 8192)).toBe(true);
    expect(await zeroes(h.link.backup, 4 * CHUNK, 4096)).toBe(true);
    await expectIdentical(h);
    await h.device.close();
  });

  it('a journalled discard survives a reopen with its range', async () => {
    const dir = tempMetaDir();
    const j = await StagingJournal.open({ dir, capacity: 1 << 20 });
    await j.spill(0, 4096, Buffer.alloc(4096, 1), -1);
    await j.spill(8192, 3 * 1024 * 1024 * 1024, undefined, 1);
    await j.spill(4096, 512, Buffer.alloc(512, 2), 2);
    await j.syncAll();
    await j.close();
    const again = await StagingJournal.open({ dir, capacity: 1 << 20 });
    expect(again.pending().map((e) => [e.seq, e.offset, e.length, e.discard])).toEqual([
      [1, 0, 4096, false],
      [2, 8192, 3 * 1024 * 1024 * 1024, true],
      [3, 4096, 512, false],
    ]);
    await expect(again.readData(again.pending()[1]!)).rejects.toThrow(/discard/);
    expect((await again.readData(again.pending()[2]!))[0]).toBe(2);
    // Trimming past a discard frees its record like any other.
    await again.trimThrough(2);
    expect(again.pending().map((e) => e.seq)).toEqual([3]);
    await again.close();
  });

  it('async: a discard still queued at a clean shutdown is taken up again at reopen and reaches the backup', async () => {
    const metaDir = tempMetaDir();
    const h = await openHarness(metaDir, { mode: 'continuous', flavour: 'async', shutdownDrainMs: 20 });
    await reachContinuous(h);
    await h.device.write(randomBytes(CHUNK), 0);
    await quiesce(h);
    const release = h.link.hold(); // the backup stops answering: the shutdown cannot ship the discard
    await h.device.discard(0, CHUNK);
    const local = new MemoryBlockStore({ size: VOLUME, path: 'primary' });
    const image = Buffer.alloc(VOLUME);
    await h.local.read(image, 0);
    await local.write(image, 0);
    await h.device.close();
    h.link.cut = true;
    release();
    const again = new FakeLink(VOLUME);
    again.tags = [...h.link.tags];
    const backupImage = Buffer.alloc(VOLUME);
    await h.link.backup.read(backupImage, 0);
    await again.backup.write(backupImage, 0);
    expect(await zeroes(again.backup, 0, CHUNK)).toBe(false);
    const reopened = await openHarness(metaDir, { mode: 'continuous', flavour: 'async' }, { local, link: again });
    expect(reopened.device.status()).toMatchObject({ state: 'continuous', dirtyChunks: 0 });
    expect(reopened.device.status().journal.entries).toBe(1);
    await quiesce(reopened);
    expect(await zeroes(again.backup, 0, CHUNK)).toBe(true);
    await expectIdentical(reopened);
    await reopened.device.close();
  });
});
