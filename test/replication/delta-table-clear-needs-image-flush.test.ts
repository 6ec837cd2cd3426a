/**
 * A pass's clear of a mark only noted in memory: no page of the file changes, but the write
 * it covered may not be durable in the image yet. Any persist() (the activity log's
 * beforeEvict, before an extent cools) flushes the image until one flush has covered it.
 */
import { describe, expect, it } from 'vitest';
import { DeltaTable } from '../../src/replication/delta-table.js';
import { PowerLossFiles } from '../support/power-loss-files.js';

const DIR = '/meta';
const CHUNK = 65536;

async function tableWith(flushImage: () => Promise<void>): Promise<DeltaTable> {
  const files = new PowerLossFiles();
  await files.mkdir(DIR);
  const table = await DeltaTable.open({ dir: DIR, volumeSize: 16 * CHUNK, chunkSize: CHUNK, files, flushImage });
  await files.syncDir(DIR);
  return table;
}

describe('a pass clearing a mark noted only in memory', () => {
  it('has persist() flush the image once, though no page needs writing', async () => {
    let flushes = 0;
    const table = await tableWith(async () => void flushes++);
    table.note(2 * CHUNK, 512);
    table.beginCopy([2]);
    table.endCopy(true);
    await table.persist();
    expect(flushes).toBe(1);
    await table.persist(); // covered: no second flush
    expect(flushes).toBe(1);
    await table.close();
  });

  it('keeps asking for the flush while it fails', async () => {
    let calls = 0;
    const table = await tableWith(async () => {
      if (++calls === 1) throw Object.assign(new Error('EIO: flush failed'), { code: 'EIO' });
    });
    table.note(2 * CHUNK, 512);
    table.beginCopy([2]);
    table.endCopy(true);
    await expect(table.persist()).rejects.toThrow(/EIO/);
    await table.persist();
    expect(calls).toBe(2);
    await table.close();
  });
});
