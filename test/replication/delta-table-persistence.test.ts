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

  it('a failed copy clears nothing; another chunk size or a smaller volume starts fresh', async () => {
    const dir = tempMetaDir();
    const t = await DeltaTable.open({ dir, volumeSize: 1 * MiB });
    await t.markChunks([1]);
    t.beginCopy([1]);
    t.endCopy(false);
    expect(t.markedChunks()).toEqual([1]);
    await t.close();
    const other = await DeltaTable.open({ dir, volumeSize: 1 * MiB, chunkSize: 131072 });
    expect(other.fresh).toBe(true);
    expect(other.dirtyChunks).toBe(0);
    await other.close();
    const smaller = await DeltaTable.open({ dir, volumeSize: MiB / 2, chunkSize: 131072 });
    expect(smaller.fresh).toBe(true);
    await smaller.close();
  });

  it('a grown volume keeps its marks and marks every chunk from the old end on', async () => {
    const dir = tempMetaDir();
    const t = await DeltaTable.open({ dir, volumeSize: 1 * MiB });
    await t.markChunks([3]);
    await t.close();
    const grown = await DeltaTable.open({ dir, volumeSize: 2 * MiB });
    expect(grown.fresh).toBe(false);
    expect(grown.grownFrom).toBe(1 * MiB);
    expect(grown.markedChunks()).toEqual([3, ...Array.from({ length: 16 }, (_, i) => 16 + i)]);
    await grown.close();
    const again = await DeltaTable.open({ dir, volumeSize: 2 * MiB });
    expect(again.grownFrom).toBeUndefined();
    expect(again.dirtyChunks).toBe(17);
    await again.close();
  });


});
