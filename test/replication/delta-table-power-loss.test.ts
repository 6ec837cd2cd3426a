/**
 * The delta table's write-ahead rule against a file system that forgets: a chunk marked
 * for an acknowledged write is marked after a power loss, whatever the table was writing
 * when the power failed.
 */
import { describe, expect, it } from 'vitest';
import { DeltaTable } from '../../src/replication/delta-table.js';
import { PowerLossFiles } from '../support/power-loss-files.js';
import { SimNode, SimScheduler, runUntil, seededRng } from '../support/sim-scheduler.js';

const DIR = '/meta';
const CHUNK = 65536;

describe('delta table and power loss', () => {
  it('a chunk marked while persistAll writes its clear stays marked after a power loss', async () => {
    const files = new PowerLossFiles();
    await files.mkdir(DIR);
    let release!: () => void;
    const imageFlushed = new Promise<void>((r) => (release = r));
    let flushes = 0;
    const table = await DeltaTable.open({ dir: DIR, volumeSize: 16 * CHUNK, chunkSize: CHUNK, files, flushImage: () => (++flushes === 1 ? imageFlushed : Promise.resolve()) });
    await files.syncDir(DIR);
    await table.markChunks([3]);
    // A pass copied chunk 3: the clear goes to the file once the image is flushed.
    table.beginCopy([3]);
    table.endCopy(true);
    const clearing = table.persistAll();
    expect(flushes).toBe(1);
    // Meanwhile a host write to chunk 3: it may be acknowledged only once the mark is durable again.
    const marking = table.mark(3 * CHUNK, 512);
    // (it must wait: until then the file may say chunk 3 is clean)
    release();
    await Promise.all([clearing, marking]);
    const after = files.crash({ keep: 'none' });
    const reopened = await DeltaTable.open({ dir: DIR, volumeSize: 16 * CHUNK, chunkSize: CHUNK, files: after });
    expect(reopened.markedChunks()).toEqual([3]);
    await reopened.close();
  });

  it('a clear reaches the file only through persistAll, after the image is flushed', async () => {
    const files = new PowerLossFiles();
    await files.mkdir(DIR);
    let flushes = 0;
    const table = await DeltaTable.open({ dir: DIR, volumeSize: 16 * CHUNK, chunkSize: CHUNK, files, flushImage: async () => void flushes++ });
    await files.syncDir(DIR);
    await table.markChunks([1, 2]);
    table.beginCopy([1]);
    table.endCopy(true);
    await table.mark(5 * CHUNK, 512); // rewrites the page: chunk 1 must stay set in the file
    // (the pass's clear has the image flushed by any persist, not written by this one)
    expect(flushes).toBe(1);
    const reopen = async (f: PowerLossFiles) => {
      const t = await DeltaTable.open({ dir: DIR, volumeSize: 16 * CHUNK, chunkSize: CHUNK, files: f });
      const marked = t.markedChunks();
      await t.close();
      return marked;
    };
    expect(await reopen(files.crash({ keep: 'none' }))).toEqual([1, 2, 5]);
  });

  it('persistAll flushes the image before it clears', async () => {
    const files = new PowerLossFiles();
    await files.mkdir(DIR);
    const order: string[] = [];
    const table = await DeltaTable.open({ dir: DIR, volumeSize: 16 * CHUNK, chunkSize: CHUNK, files, flushImage: async () => void order.push('image flushed') });
    await files.syncDir(DIR);
    await table.markChunks([1, 2]);
    table.beginCopy([1]);
    table.endCopy(true);
    await table.persistAll();
    order.push('persisted');
    expect(order).toEqual(['image flushed', 'persisted']);
    await table.persistAll(); // nothing left to clear: no flush
    expect(order).toEqual(['image flushed', 'persisted']);
    const t = await DeltaTable.open({ dir: DIR, volumeSize: 16 * CHUNK, chunkSize: CHUNK, files: files.crash({ keep: 'none' }) });
    expect(t.markedChunks()).toEqual([2]);
    await t.close();
  });

  it('a volume that grows keeps its marks and marks the grown part, whatever step a power loss cuts', async () => {
    const OLD = 10 * CHUNK + 4096; // a short last chunk, which grows too
    const NEW = 24 * CHUNK;
    const grown = [...Array.from({ length: 24 - 10 }, (_, i) => 10 + i)];
    for (let crashAfter = 0; ; crashAfter++) {
      const rng = seededRng(crashAfter + 1);
      const scheduler = new SimScheduler();
      const files = new PowerLossFiles({ scheduler, node: new SimNode('primary') });
      await runUntil(scheduler, rng, files.mkdir(DIR), 'mkdir', 100);
      const old = await runUntil(scheduler, rng, DeltaTable.open({ dir: DIR, volumeSize: OLD, chunkSize: CHUNK, files }), 'open', 100);
      await runUntil(scheduler, rng, files.syncDir(DIR).then(() => old.markChunks([1, 5])), 'mark', 100);
      let finished = false;
      const growing = DeltaTable.open({ dir: DIR, volumeSize: NEW, chunkSize: CHUNK, files }).then((t) => {
        finished = true;
        return t;
      });
      for (let i = 0; i < crashAfter && scheduler.step(rng); i++) await new Promise((r) => setImmediate(r));
      await new Promise((r) => setImmediate(r));
      const after = files.crash({ keep: 'some', rng });
      const reopened = await DeltaTable.open({ dir: DIR, volumeSize: NEW, chunkSize: CHUNK, files: after });
      expect(reopened.fresh).toBe(false);
      expect(reopened.markedChunks()).toEqual([1, 5, ...grown]);
      await reopened.close();
      if (finished) {
        expect((await growing).grownFrom).toBe(OLD);
        break;
      }
    }
  });
});
