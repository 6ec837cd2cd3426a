/**
 * Mirroring confirms changes (one flush of each image) seldom under load — asynchronous
 * every 5 s or 256 MiB shipped, synchronous every 5 s — but at once when something waits
 * for a confirmation: a write that finds every activity-log extent held by unconfirmed
 * changes, or (async) a journal a quarter full of spilled changes already shipped. The
 * async tests freeze the wall clock and the sync one never ticks the engine, so neither a
 * periodic nor an idle confirmation can be what does it.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { BlockDevice } from '../../../src/block/device.js';
import { openHarness, reachContinuous, type Harness } from '../device-harness.js';
import { frozenAsyncPrimary, thawAndQuiesce } from './frozen-primary.js';
import { tempMetaDir } from '../temp-meta.js';

const B = 4096;
/** One activity-log extent: the delta table's chunk (the smallest extent allowed). */
const E = 64 * 1024;

/**
 * Writes to the only two extents the log may hold hot, then to a third: that write must
 * wait for room, and is expected to go once the backup was flushed after the first two.
 */
async function expectRoomMadeByConfirmation(h: Harness, fill: number): Promise<void> {
  const mark = h.link.trace.length;
  await h.device.write(Buffer.alloc(B, fill), 0);
  await h.device.write(Buffer.alloc(B, fill + 1), E);
  const third = h.device.write(Buffer.alloc(B, fill + 2), 2 * E).then(() => 'written' as const);
  expect(await within(5000, third)).toBe('written');
  const after = h.link.trace.slice(mark);
  expect(after.indexOf('flush')).toBeGreaterThan(after.findIndex((t) => t.includes(String(E))));
  expect(after.indexOf('flush')).toBeLessThan(after.findIndex((t) => t.includes(String(2 * E))));
}

function within<T>(ms: number, p: Promise<T>): Promise<T | 'still waiting'> {
  return Promise.race([p, new Promise<'still waiting'>((r) => setTimeout(() => r('still waiting'), ms))]);
}

describe('shipper: confirming for activity-log room', () => {
  afterEach(() => vi.useRealTimers());

  it('a write waiting for a hot extent to cool gets a confirmation at once', async () => {
    // One extent kept hot, two at most while writes hold them.
    const h = await frozenAsyncPrimary({ activityExtents: 1, activityExtentSize: E });

    // Both extents held by changes shipped but not confirmed: the shipper flushes before the third goes out.
    await expectRoomMadeByConfirmation(h, 2);
    await thawAndQuiesce(h);
    await h.device.close();
  });
});

describe('shipper: confirming for journal room', () => {
  afterEach(() => vi.useRealTimers());

  it('spilled changes once shipped are confirmed at once when they hold a quarter of the journal', async () => {
    const h = await frozenAsyncPrimary({ queueMemory: 64 * 1024, journalCapacity: 128 * 1024 });
    const spilled = () => h.device.status().journal.spilledBytes;

    // The backup answers nothing for a while: 112 KiB queued, 48 KiB of it over the memory bound, spilled.
    const release = h.link.hold();
    for (let i = 0; i < 28; i++) await h.device.write(Buffer.alloc(B, i + 2), i * B);
    // The spill writes the journal file behind the host's writes: let it catch up.
    for (let i = 0; i < 1000 && spilled() < 48 * 1024; i++) await new Promise((r) => setTimeout(r, 10));
    expect(spilled()).toBeGreaterThanOrEqual(48 * 1024);
    const before = h.link.trace.filter((t) => t === 'flush').length;
    release();
    // The clock stands still: only the journal's share can call for the confirmation. It
    // starts once shipped spills hold a quarter of the journal, beside the shipping of the
    // rest: the changes shipped by then leave the queue, then their records the journal.
    const quarter = 32 * 1024;
    const settled = () => h.device.status().journal.entries < 28 && spilled() < quarter;
    for (let i = 0; i < 200 && !settled(); i++) await new Promise((r) => setTimeout(r, 10));
    expect(h.device.status().journal.entries).toBeLessThan(28);
    expect(spilled()).toBeLessThan(quarter);
    expect(h.link.trace.filter((t) => t === 'flush').length).toBeGreaterThan(before);
    expect(h.device.status().state).toBe('continuous');
    await thawAndQuiesce(h);
    await h.device.close();
  });
});

describe('synchronous mirroring: confirming for activity-log room', () => {
  it('a write waiting for a hot extent to cool gets a confirmation at once, with no engine tick', async () => {
    const h = await openHarness(tempMetaDir(), { mode: 'continuous', flavour: 'sync', activityExtents: 1, activityExtentSize: E });
    await reachContinuous(h);
    // Both extents held by changes applied on both but not known durable.
    await expectRoomMadeByConfirmation(h, 1);
    await h.device.close();
  });

  it('confirms for room one flush at a time, however many writes complete while one is in flight', async () => {
    const h = await openHarness(tempMetaDir(), { mode: 'continuous', flavour: 'sync', activityExtents: 1, activityExtentSize: E });
    await reachContinuous(h);
    await h.device.write(Buffer.alloc(B, 1), 0);
    await h.device.write(Buffer.alloc(B, 2), E);
    // From now on the backup takes 30 ms a write and 100 ms a flush.
    const later = (ms: number) => new Promise((r) => setTimeout(r, ms));
    const { write, writeScattered, flush } = h.link;
    h.link.write = async (...args) => (await later(30), write.apply(h.link, args));
    h.link.writeScattered = async (...args) => (await later(30), writeScattered!.apply(h.link, args));
    let inFlight = 0;
    let most = 0;
    h.link.flush = async () => {
      most = Math.max(most, ++inFlight);
      try {
        await later(100);
        return await flush.apply(h.link);
      } finally {
        inFlight--;
      }
    };
    // Writes to the hot first extent, on their way to the backup...
    const hot = [1, 2, 3].map((i) => h.device.write(Buffer.alloc(B, 3 + i), i * B));
    // ...when a write to a third extent finds no room: it asks for a confirmation. The writes
    // above complete while it is in flight, each with the log still starved.
    await later(5);
    const third = h.device.write(Buffer.alloc(B, 7), 2 * E);
    await Promise.all([...hot, third]);
    expect(most).toBe(1);
    await h.device.close();
  });
});

describe('shipper: a change that failed locally', () => {
  it('does not leave the changes queued behind it unsent and unconfirmed', async () => {
    const h = await openHarness(tempMetaDir(), { mode: 'continuous', flavour: 'async', tickMs: 3_600_000 });
    await reachContinuous(h);
    const write: BlockDevice['write'] = h.local.write.bind(h.local);
    // The first write's local write fails, after the second one (behind it in the queue) is applied.
    let failNext = true;
    const failingOnce: BlockDevice['write'] = (buf, offset, fua, hold) => {
      if (!failNext) return write(buf, offset, fua, hold);
      failNext = false;
      return new Promise((_, reject) => setTimeout(() => reject(new Error('injected')), 50));
    };
    h.local.write = failingOnce;
    const failed = h.device.write(Buffer.alloc(B, 1), 0).then(() => 'written', (e: Error) => e.message);
    await h.device.write(Buffer.alloc(B, 2), E);
    expect(await failed).toBe('injected');
    // No host write comes after: the second change is not left in the queue. The failed one
    // sends the engine to delta (local-write-failed), whose fold takes the queue into the
    // table, and the next pass sends it (the failed write left nothing there to send).
    for (let i = 0; i < 500 && h.device.status().journal.entries > 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(h.device.status().journal.entries).toBe(0);
    await h.device.replicateNow();
    const onBackup = Buffer.alloc(B);
    await h.link.backup.read(onBackup, E);
    expect(onBackup.every((x) => x === 2)).toBe(true);
    await h.device.close();
  });
});
