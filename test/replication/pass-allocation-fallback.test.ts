/**
 * A delta pass (first sync, resync) planned by allocation, against a fake backup: the four
 * kinds of chunk on a memory store, a snapshot that keeps answering the pass's point in time
 * while the host writes, and the fallbacks: a backup that cannot tell its allocation gets
 * every chunk challenged (correctness first), and one that cannot stage a deallocation gets
 * the zeroes it always got.
 */
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryBlockStore } from '../../src/block/memory-store.js';
import { runDeltaPass } from '../../src/replication/delta-pass.js';
import { ChunkSet } from '../../src/replication/chunk-set.js';
import { DeltaTable } from '../../src/replication/delta-table.js';
import { PassSnapshot } from '../../src/replication/pass-snapshot.js';
import { FakeLink } from './fake-link.js';
import { tempMetaDir } from './temp-meta.js';

const CHUNK = 64 * 1024;
const CHUNKS = 32;
const SIZE = CHUNKS * CHUNK;

const tables: DeltaTable[] = [];
afterEach(async () => {
  for (const t of tables.splice(0)) await t.close();
});

/** Chunks with data: 2-3 and 9 only here, 5-6 only on the backup, 12 (same) and 14 (differing) on both. */
async function world(): Promise<{ local: MemoryBlockStore; link: FakeLink; table: DeltaTable; all: number[] }> {
  const local = new MemoryBlockStore({ size: SIZE, path: 'primary' });
  const link = new FakeLink(SIZE);
  for (const c of [2, 3, 9]) await local.write(randomBytes(CHUNK), c * CHUNK);
  for (const c of [5, 6]) await link.backup.write(randomBytes(CHUNK), c * CHUNK);
  const same = randomBytes(CHUNK);
  await local.write(same, 12 * CHUNK);
  await link.backup.write(same, 12 * CHUNK);
  await local.write(randomBytes(CHUNK), 14 * CHUNK);
  await link.backup.write(randomBytes(CHUNK), 14 * CHUNK);
  const table = await DeltaTable.open({ dir: tempMetaDir(), volumeSize: SIZE, chunkSize: CHUNK });
  tables.push(table);
  const all = Array.from({ length: CHUNKS }, (_, i) => i);
  await table.markAll();
  table.beginCopy(all);
  return { local, link, table, all };
}

function snapshot(local: MemoryBlockStore, chunks: number[]): PassSnapshot {
  return new PassSnapshot(local, new MemoryBlockStore({ size: SIZE, path: 'scratch' }), CHUNK, chunks);
}

async function expectIdentical(local: MemoryBlockStore, link: FakeLink): Promise<void> {
  const [a, b] = await Promise.all([local.sha256(0, SIZE), link.backup.sha256(0, SIZE)]);
  expect(b.toString('hex')).toBe(a.toString('hex'));
}

describe('a compare pass by allocation', () => {
  it('skips what is empty on both, sends what is only here, deallocates what is only there, challenges the rest', async () => {
    const { local, link, table, all } = await world();
    const r = await runDeltaPass(table, ChunkSet.of(all), snapshot(local, all), link, { compare: true, batchChunks: 4, windowChunks: 5 });
    expect(r).toMatchObject({ skippedChunks: CHUNKS - 7, sentWithoutChallengeChunks: 3, unmappedChunks: 2, challengedChunks: 2, sentChunks: 4 });
    expect(link.discards).toBe(1); // 5-6 in one UNMAP
    expect((await link.backup.allocation(5 * CHUNK, 2 * CHUNK)).mapped).toBe(false);
    await expectIdentical(local, link);
    expect(table.dirtyChunks).toBe(0);
  });

  it('answers the allocation of the pass\'s point in time while the host writes and discards', async () => {
    const { local, link, table, all } = await world();
    const snap = snapshot(local, all);
    const atStart = Buffer.alloc(SIZE);
    await local.read(atStart, 0);
    // Before the pass plans them, as the host write path does: data lands in a hole (20), a data chunk is discarded (2).
    await snap.beforeWrite(20 * CHUNK, 4096);
    table.note(20 * CHUNK, 4096);
    await local.write(randomBytes(4096), 20 * CHUNK);
    await snap.beforeWrite(2 * CHUNK, CHUNK);
    table.note(2 * CHUNK, CHUNK);
    await local.discard(2 * CHUNK, CHUNK);
    const r = await runDeltaPass(table, ChunkSet.of(all), snap, link, { compare: true });
    expect(r).toMatchObject({ skippedChunks: CHUNKS - 7, sentWithoutChallengeChunks: 3, unmappedChunks: 2 });
    const backup = Buffer.alloc(SIZE);
    await link.backup.read(backup, 0);
    expect(backup.equals(atStart)).toBe(true);
    // The changes made meanwhile stay marked for the next pass.
    expect(table.markedChunks()).toEqual([2, 20]);
  });

  it('a backup that cannot tell its allocation gets every chunk challenged and nothing deallocated', async () => {
    const { local, link, table, all } = await world();
    link.reportsAllocation = false;
    const r = await runDeltaPass(table, ChunkSet.of(all), snapshot(local, all), link, { compare: true });
    expect(r).toMatchObject({ challengedChunks: CHUNKS, unmappedChunks: 0, skippedChunks: 0, sentWithoutChallengeChunks: 0, sentChunks: 6 });
    expect(link.discards).toBe(0);
    await expectIdentical(local, link);
  });

  it('a staged resync onto a backup that cannot stage a deallocation challenges the chunk and stages zeroes', async () => {
    const { local, link, table, all } = await world();
    link.canStageDiscard = false;
    const r = await runDeltaPass(table, ChunkSet.of(all), snapshot(local, all), link, { compare: true, staged: true });
    expect(r).toMatchObject({ staged: true, unmappedChunks: 0, challengedChunks: 4, sentChunks: 6 });
    expect(link.commits).toBe(1);
    await expectIdentical(local, link);
  });
});
