/**
 * A delta-table write that fails (EIO from a disk that recovers) must not forget which
 * pages it was to write: a later persist() writes them, so when it resolves the marks are
 * durable — the activity log lets an extent go on exactly that (beforeEvict).
 */
import { describe, expect, it } from 'vitest';
import type { DurableFile, DurableFiles } from '../../src/block/durable-file.js';
import { DeltaTable } from '../../src/replication/delta-table.js';
import { PowerLossFiles } from '../support/power-loss-files.js';

const DIR = '/meta';
const CHUNK = 65536;

/** `files`, whose file writes fail while `failing` is set. */
function withFailingWrites(files: PowerLossFiles): { files: DurableFiles; failing: { on: boolean } } {
  const failing = { on: false };
  const eio = () => Promise.reject(Object.assign(new Error('EIO: write failed'), { code: 'EIO' }));
  const wrap = (f: DurableFile): DurableFile =>
    new Proxy(f, {
      get(target, prop) {
        const v = Reflect.get(target, prop, target) as unknown;
        if (typeof v !== 'function') return v;
        const bound = (v as (...a: unknown[]) => unknown).bind(target);
        return prop === 'write' || prop === 'writev' ? (...args: unknown[]) => (failing.on ? eio() : bound(...args)) : bound;
      },
    });
  const wrapped = new Proxy(files, {
    get(target, prop) {
      if (prop === 'open') return async (...args: Parameters<DurableFiles['open']>) => wrap(await target.open(...args));
      const v = Reflect.get(target, prop, target) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  return { files: wrapped, failing };
}

describe('a delta-table write that fails', () => {
  it('leaves its pages to the next persist(), which makes the mark durable', async () => {
    const base = new PowerLossFiles();
    await base.mkdir(DIR);
    const { files, failing } = withFailingWrites(base);
    const table = await DeltaTable.open({ dir: DIR, volumeSize: 16 * CHUNK, chunkSize: CHUNK, files });
    await base.syncDir(DIR);
    // A host write's chunk noted in memory (the activity log covers it meanwhile).
    table.note(3 * CHUNK, 512);
    failing.on = true;
    await expect(table.persist()).rejects.toThrow(/EIO/);
    failing.on = false;
    await table.persist();
    // Power loss: only what was synced survives.
    const reopened = await DeltaTable.open({ dir: DIR, volumeSize: 16 * CHUNK, chunkSize: CHUNK, files: base.crash({ keep: 'none' }) });
    expect(reopened.markedChunks()).toEqual([3]);
    await reopened.close();
  });
});
