import { openSync, closeSync, writeSync, ftruncateSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { JOURNAL_FILE, StagingJournal } from '../../src/replication/staging-journal.js';
import { RECORD_HEADER_BYTES } from '../../src/replication/journal-record.js';
import { tempMetaDir } from './temp-meta.js';

function block(fill: number, length = 4096): Buffer {
  return Buffer.alloc(length, fill);
}

async function appendAll(j: StagingJournal, n: number, from = 0): Promise<void> {
  for (let i = 0; i < n; i++) await j.spill((from + i) * 4096, 4096, block(from + i + 1), -1);
  await j.syncAll();
}

async function recoveredFills(dir: string, capacity: number): Promise<number[]> {
  const j = await StagingJournal.open({ dir, capacity });
  const fills = [];
  for (const e of j.pending()) fills.push((await j.readData(e))[0]!);
  await j.close();
  return fills;
}

describe('staging journal recovery', () => {
  it('recovers every acknowledged record in order after a reopen', async () => {
    const dir = tempMetaDir();
    const j = await StagingJournal.open({ dir, capacity: 1 << 20 });
    await appendAll(j, 10);
    await j.close();
    expect(await recoveredFills(dir, 1 << 20)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  it('stops at a truncated record: what remains is a prefix', async () => {
    const dir = tempMetaDir();
    const j = await StagingJournal.open({ dir, capacity: 1 << 20 });
    await appendAll(j, 5);
    await j.close();
    const fd = openSync(join(dir, JOURNAL_FILE), 'r+');
    // Zero the tail of record 4 (index 3): as if the crash cut its data write short.
    writeSync(fd, Buffer.alloc(100), 0, 100, 3 * (RECORD_HEADER_BYTES + 4096) + RECORD_HEADER_BYTES + 4000);
    closeSync(fd);
    expect(await recoveredFills(dir, 1 << 20)).toEqual([1, 2, 3]);
  });

  it('stops at a corrupted header byte', async () => {
    const dir = tempMetaDir();
    const j = await StagingJournal.open({ dir, capacity: 1 << 20 });
    await appendAll(j, 4);
    await j.close();
    const path = join(dir, JOURNAL_FILE);
    const bytes = readFileSync(path);
    const at = 2 * (RECORD_HEADER_BYTES + 4096) + 20;
    const fd = openSync(path, 'r+');
    writeSync(fd, Buffer.from([bytes[at]! ^ 0x40]), 0, 1, at);
    closeSync(fd);
    expect(await recoveredFills(dir, 1 << 20)).toEqual([1, 2]);
  });

  it('never chains stale records from before a crash onto records written after it', async () => {
    const dir = tempMetaDir();
    let j = await StagingJournal.open({ dir, capacity: 1 << 20 });
    await appendAll(j, 3);
    await j.close();
    // Crash: record 2 torn, record 3 intact beyond it.
    const fd = openSync(join(dir, JOURNAL_FILE), 'r+');
    writeSync(fd, Buffer.alloc(8), 0, 8, RECORD_HEADER_BYTES + 4096 + 16);
    closeSync(fd);
    j = await StagingJournal.open({ dir, capacity: 1 << 20 });
    expect(j.pending().map((e) => e.seq)).toEqual([1]);
    // A new record 2 of the same size lands where the torn one was; stale record 3 follows it.
    await j.spill(4096, 4096, block(42), 1);
    await j.syncAll();
    await j.close();
    expect(await recoveredFills(dir, 1 << 20)).toEqual([1, 42]);
  });

  it('wraps around the ring and recovers across the wrap', async () => {
    const dir = tempMetaDir();
    const capacity = 5 * (RECORD_HEADER_BYTES + 4096) + 100;
    const j = await StagingJournal.open({ dir, capacity });
    await appendAll(j, 4);
    await j.trimThrough(3);
    expect(j.fits(4096)).toBe(true);
    await appendAll(j, 3, 10); // the second of these wraps to offset 0
    expect(j.pending().map((e) => e.pos)).toEqual([3 * (RECORD_HEADER_BYTES + 4096), 4 * (RECORD_HEADER_BYTES + 4096), 0, RECORD_HEADER_BYTES + 4096]);
    await appendAll(j, 1, 13); // fills the ring exactly: up to the untrimmed record 4
    expect(j.usedBytes).toBe(capacity);
    expect(j.fits(4096)).toBe(false);
    await expect(j.spill(0, 4096, block(1), -1)).rejects.toThrow(/journal full/);
    await j.close();
    expect(await recoveredFills(dir, capacity)).toEqual([4, 11, 12, 13, 14]);
  });

  it('an empty or garbage file recovers to an empty journal', async () => {
    const dir = tempMetaDir();
    const fd = openSync(join(dir, JOURNAL_FILE), 'w');
    ftruncateSync(fd, 65536);
    writeSync(fd, Buffer.from('not a journal at all'), 0, 20, 0);
    closeSync(fd);
    expect(await recoveredFills(dir, 65536)).toEqual([]);
  });
});
