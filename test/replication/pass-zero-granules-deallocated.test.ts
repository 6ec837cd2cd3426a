/**
 * A pass writing a chunk over a thin replica that holds data there deallocates the chunk's
 * zero granules on the replica rather than writing zeroes: a chunk the host discarded in part
 * (or never wrote in full) stays allocated in part on the backup, as it is on the primary. A
 * replica not known to be thin gets the chunk written whole, as before.
 */
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryBlockStore } from '../../src/block/memory-store.js';
import { gapsBetween } from '../../src/replication/chunk-moves.js';
import { runDeltaPass } from '../../src/replication/delta-pass.js';
import { ChunkSet } from '../../src/replication/chunk-set.js';
import { DeltaTable } from '../../src/replication/delta-table.js';
import { PassSnapshot } from '../../src/replication/pass-snapshot.js';
import { FakeLink } from './fake-link.js';
import { tempMetaDir } from './temp-meta.js';

const CHUNK = 64 * 1024;
const CHUNKS = 8;
const SIZE = CHUNKS * CHUNK;
const KIB = 1024;

const tables: DeltaTable[] = [];
afterEach(async () => {
  for (const t of tables.splice(0)) await t.close();
});

/** Chunk 3 holds data on both sides; here its middle 32 KiB were discarded (zeroes); it differs from the backup's. */
async function world(): Promise<{ local: MemoryBlockStore; link: FakeLink; table: DeltaTable }> {
  const local = new MemoryBlockStore({ size: SIZE, path: 'primary' });
  const link = new FakeLink(SIZE);
  await local.write(randomBytes(CHUNK), 3 * CHUNK);
  await local.discard(3 * CHUNK + 16 * KIB, 32 * KIB);
  await link.backup.write(randomBytes(CHUNK), 3 * CHUNK);
  const table = await DeltaTable.open({ dir: tempMetaDir(), volumeSize: SIZE, chunkSize: CHUNK });
  tables.push(table);
  await table.markAll();
  return { local, link, table };
}

async function pass(world: { local: MemoryBlockStore; link: FakeLink; table: DeltaTable }, options: { compare: boolean; staged?: boolean }) {
  const all = Array.from({ length: CHUNKS }, (_, i) => i);
  world.table.beginCopy(all);
  const snap = new PassSnapshot(world.local, new MemoryBlockStore({ size: SIZE, path: 'scratch' }), CHUNK, all);
  return runDeltaPass(world.table, ChunkSet.of(all), snap, world.link, options);
}

async function expectIdentical(local: MemoryBlockStore, link: FakeLink): Promise<void> {
  const [a, b] = await Promise.all([local.sha256(0, SIZE), link.backup.sha256(0, SIZE)]);
  expect(b.toString('hex')).toBe(a.toString('hex'));
}

describe('zero granules of a chunk sent over a thin replica', () => {
  for (const compare of [false, true]) {
    it(`are deallocated there, not written (${compare ? 'a resync: challenged, then sent' : 'a delta pass: sent whole'})`, async () => {
      const w = await world();
      w.link.thin = true;
      const r = await pass(w, { compare });
      expect(w.link.discarded).toEqual([[3 * CHUNK + 16 * KIB, 32 * KIB]]);
      expect(r).toMatchObject({ sentChunks: 1, bytesSent: 32 * KIB });
      expect(w.link.health().bytesWritten).toBe(32 * KIB);
      await expectIdentical(w.local, w.link);
    });
  }

  it('a replica not known to be thin gets the chunk written whole', async () => {
    const w = await world();
    const r = await pass(w, { compare: false });
    expect(w.link.discards).toBe(0);
    expect(r).toMatchObject({ sentChunks: 1, bytesSent: CHUNK });
    await expectIdentical(w.local, w.link);
  });

  it('a staged pass stages the deallocation, or zeroes when the backup cannot stage one', async () => {
    for (const canStageDiscard of [true, false]) {
      const w = await world();
      w.link.thin = true;
      w.link.canStageDiscard = canStageDiscard;
      const r = await pass(w, { compare: false, staged: true });
      expect(r).toMatchObject({ staged: true, sentChunks: 1 });
      expect(w.link.stagedDiscards).toBe(canStageDiscard ? 1 : 0);
      expect(w.link.commits).toBe(1);
      await expectIdentical(w.local, w.link);
    }
  });
});

describe('gapsBetween', () => {
  it('is the complement of ascending disjoint runs within the length', () => {
    fc.assert(
      fc.property(fc.array(fc.boolean(), { maxLength: 64 }), (cells) => {
        // Runs of true cells, as nonZeroRuns gives them (merged, ascending).
        const runs: Array<[number, number]> = [];
        cells.forEach((on, i) => {
          if (!on) return;
          const last = runs[runs.length - 1];
          if (last && last[1] === i) last[1] = i + 1;
          else runs.push([i, i + 1]);
        });
        const gaps = gapsBetween(runs, cells.length);
        const covered = new Array<boolean>(cells.length).fill(false);
        for (const [from, to] of gaps) {
          expect(from).toBeLessThan(to);
          for (let i = from; i < to; i++) covered[i] = true;
        }
        expect(covered).toEqual(cells.map((on) => !on));
      }),
    );
  });
});

describe('the commit of a staged pass', () => {
  it('is told every byte it will apply, the zeroes staged as writes for a backup that cannot stage a discard included (its timeout grows with them)', async () => {
    const w = await world();
    w.link.thin = true;
    w.link.canStageDiscard = false;
    const r = await pass(w, { compare: false, staged: true });
    expect(r.staged).toBe(true);
    await expectIdentical(w.local, w.link);
    // Chunk 3's 32 KiB of data and its 32 KiB of zeroes, staged as writes.
    expect(w.link.committedStagedBytes).toEqual([CHUNK]);
  });

  it('is told of the staged discards too (a backup that cannot deallocate writes them as zeroes at commit)', async () => {
    const w = await world();
    w.link.thin = true;
    const r = await pass(w, { compare: false, staged: true });
    expect(r.staged).toBe(true);
    expect(w.link.stagedDiscards).toBeGreaterThan(0);
    await expectIdentical(w.local, w.link);
    expect(w.link.committedStagedBytes).toEqual([CHUNK]);
  });
});
