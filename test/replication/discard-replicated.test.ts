/**
 * Host discards (UNMAP) are replicated: sent as UNMAP in sync mirroring, journalled as
 * DISCARD records in async mirroring (replayed after a crash), and continuous mirroring
 * stays on.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MemoryBlockStore } from '../../src/block/memory-store.js';
import { StagingJournal } from '../../src/replication/staging-journal.js';
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
    await j.append(0, Buffer.alloc(4096, 1), -1);
    await j.appendDiscard(8192, 3 * 1024 * 1024 * 1024, 1);
    await j.append(4096, Buffer.alloc(512, 2), 2);
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

  it('async: a discard still in the journal at a crash is replayed onto the local image at reopen, then reaches the backup', async () => {
    const metaDir = tempMetaDir();
    const h = await openHarness(metaDir, { mode: 'continuous', flavour: 'async' });
    await reachContinuous(h);
    await h.device.write(randomBytes(CHUNK), 0);
    await quiesce(h);
    const image = Buffer.alloc(VOLUME);
    await h.local.read(image, 0);
    await h.device.close();
    const local = new MemoryBlockStore({ size: VOLUME, path: 'primary' });
    await local.write(image, 0);
    // The crash: the discard's record is durable in the journal, the local image never saw it.
    const journal = await StagingJournal.open({ dir: metaDir });
    await journal.appendDiscard(0, CHUNK, journal.lastSeq);
    await journal.close();
    const reopened = await openHarness(metaDir, { mode: 'continuous', flavour: 'async' }, { local, link: h.link });
    expect(await zeroes(local, 0, CHUNK)).toBe(true);
    await reachContinuous(reopened);
    expect(await zeroes(h.link.backup, 0, CHUNK)).toBe(true);
    await expectIdentical(reopened);
    await reopened.device.close();
  });
});
