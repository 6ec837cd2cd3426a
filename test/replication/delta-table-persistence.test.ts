import { describe, expect, it } from 'vitest';
import { DeltaTable } from '../../src/replication/delta-table.js';
import { tempMetaDir } from './temp-meta.js';

const MiB = 1024 * 1024;

describe('delta table persistence', () => {
  it('marks survive a reopen; a write spanning chunks marks each', async () => {
    const dir = tempMetaDir();
    const t = await DeltaTable.open({ dir, volumeSize: 8 * MiB });
    expect(t.fresh).toBe(true);
    await t.mark(65536 - 512, 1024); // chunks 0 and 1
    await t.mark(5 * 65536, 4096);
    expect(t.mark(5 * 65536 + 8192, 512)).toBeUndefined(); // already durable: no I/O, no promise
    await t.close();
    const again = await DeltaTable.open({ dir, volumeSize: 8 * MiB });
    expect(again.fresh).toBe(false);
    expect(again.markedChunks()).toEqual([0, 1, 5]);
    await again.close();
  });

  it('a copy clears only chunks not written again meanwhile, durably', async () => {
    const dir = tempMetaDir();
    const t = await DeltaTable.open({ dir, volumeSize: 1 * MiB, chunkSize: 65536 });
    await t.markChunks([2, 3, 4]);
    t.beginCopy(t.markedChunks());
    await t.mark(3 * 65536, 512); // written during the pass
    t.endCopy(true);
    await t.persistAll();
    expect(t.markedChunks()).toEqual([3]);
    await t.close();
    const again = await DeltaTable.open({ dir, volumeSize: 1 * MiB, chunkSize: 65536 });
    expect(again.markedChunks()).toEqual([3]);
    await again.close();
  });

  it('a failed copy clears nothing; a different geometry starts fresh', async () => {
    const dir = tempMetaDir();
    const t = await DeltaTable.open({ dir, volumeSize: 1 * MiB });
    await t.markChunks([1]);
    t.beginCopy([1]);
    t.endCopy(false);
    expect(t.markedChunks()).toEqual([1]);
    await t.close();
    const other = await DeltaTable.open({ dir, volumeSize: 2 * MiB });
    expect(other.fresh).toBe(true);
    expect(other.dirtyChunks).toBe(0);
    await other.close();
  });

  it('sync-mode tracking: a chunk stays marked while any write to it is in flight or failed', async () => {
    const dir = tempMetaDir();
    const t = await DeltaTable.open({ dir, volumeSize: 1 * MiB });
    await t.beginWrite(0, 512);
    await t.beginWrite(1024, 512);
    t.endWrite(0, 512, true);
    expect(t.isMarked(0)).toBe(true);
    t.endWrite(1024, 512, true);
    expect(t.isMarked(0)).toBe(false);
    await t.beginWrite(65536, 512);
    t.endWrite(65536, 512, false);
    await t.beginWrite(65536, 512);
    t.endWrite(65536, 512, true);
    expect(t.isMarked(1)).toBe(true);
    await t.close();
  });

  it('a delta-tracked write to a chunk stays marked when a sync-mode write to it ends', async () => {
    const dir = tempMetaDir();
    const t = await DeltaTable.open({ dir, volumeSize: 1 * MiB });
    await t.beginWrite(0, 512); // mirrored write in flight when the engine falls back to delta
    await t.mark(4096, 512); // a write of the same chunk on the delta path: the backup will not get it
    t.endWrite(0, 512, true);
    expect(t.isMarked(0)).toBe(true);
    await t.close();
  });
});
