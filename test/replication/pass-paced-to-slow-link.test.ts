/**
 * A pass over a slow link keeps in flight only what the link moves in a couple of seconds
 * (PassPace), from the pace the pass before measured. With 8 MiB in flight whatever the
 * link, the last commands of a pass over a link slower than 8 MiB per operation timeout
 * waited behind the others past their timeout: the pass failed, and every retry alike (the
 * chaos soak's slow link: a resync that never finished, a switchover refused each time).
 */
import { randomBytes } from 'node:crypto';
import { afterEach, expect, it } from 'vitest';
import { MemoryBlockStore } from '../../src/block/memory-store.js';
import { IscsiTimeoutError } from '../../src/initiator/index.js';
import { ChunkSet } from '../../src/replication/chunk-set.js';
import { runDeltaPass } from '../../src/replication/delta-pass.js';
import { DeltaTable } from '../../src/replication/delta-table.js';
import { MAX_PASS_WINDOW, MIN_PASS_WINDOW, PassPace } from '../../src/replication/pass-pace.js';
import { PassSnapshot } from '../../src/replication/pass-snapshot.js';
import { ReplicaLinkError } from '../../src/replication/replica-link.js';
import { FakeLink } from './fake-link.js';
import { tempMetaDir } from './temp-meta.js';

const CHUNK = 64 * 1024;
const SIZE = 16 * 1024 * 1024;
const MIB = 1024 * 1024;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A link that carries 8 MiB/s, one write after another, and times a write out 400 ms after it was sent. */
class SlowLink extends FakeLink {
  private busyUntil = 0;
  readonly bytesPerSec = 8 * MIB;
  readonly opTimeoutMs = 400;

  override async write(data: Buffer, offset: number, durable: boolean, ordered = false): Promise<void> {
    const sent = Date.now();
    this.busyUntil = Math.max(sent, this.busyUntil) + (data.length * 1000) / this.bytesPerSec;
    const waits = this.busyUntil - sent;
    if (waits > this.opTimeoutMs) {
      await sleep(this.opTimeoutMs);
      throw new ReplicaLinkError('write on replica failed: command 0x8a timed out', { cause: new IscsiTimeoutError('command 0x8a timed out', 'command') });
    }
    await sleep(waits);
    return super.write(data, offset, durable, ordered);
  }

  /** Until what was sent has gone (a timed-out write's data is still in the connection's queue). */
  idle(): Promise<void> {
    return sleep(Math.max(0, this.busyUntil - Date.now()));
  }
}

const tables: DeltaTable[] = [];
afterEach(async () => {
  for (const t of tables.splice(0)) await t.close();
});

it('a pass that timed out on a slow link is paced to it, and the next one completes', { timeout: 30_000 }, async () => {
  const local = new MemoryBlockStore({ size: SIZE, path: 'primary' });
  await local.write(randomBytes(SIZE), 0);
  const link = new SlowLink(SIZE);
  const table = await DeltaTable.open({ dir: tempMetaDir(), volumeSize: SIZE, chunkSize: CHUNK });
  tables.push(table);
  const all = Array.from({ length: SIZE / CHUNK }, (_, i) => i);
  await table.markAll();
  const pace = new PassPace(200);
  const pass = () => {
    table.beginCopy(all);
    const snapshot = new PassSnapshot(local, new MemoryBlockStore({ size: SIZE, path: 'scratch' }), CHUNK, all);
    return runDeltaPass(table, ChunkSet.of(all), snapshot, link, { pace });
  };

  // 8 MiB in flight: the writes behind the first three wait past 400 ms.
  expect(pace.windowBytes).toBe(MAX_PASS_WINDOW);
  await expect(pass()).rejects.toThrow(/timed out/);
  // What it moved before the timeout is the link's pace: ~8 MiB/s, 200 ms of it.
  expect(pace.windowBytes).toBeLessThan(2 * MIB);
  expect(pace.windowBytes).toBeGreaterThanOrEqual(MIN_PASS_WINDOW);
  await link.idle();

  const result = await pass();
  expect(result.bytesSent).toBe(SIZE);
  expect(table.dirtyChunks).toBe(0);
  const [a, b] = await Promise.all([local.sha256(0, SIZE), link.backup.sha256(0, SIZE)]);
  expect(b.equals(a)).toBe(true);
});

it('the window follows the measured pace between one largest write and 8 MiB; a pass that moved nothing changes nothing', () => {
  const pace = new PassPace(2_000);
  pace.observe(0, 5_000);
  expect(pace.windowBytes).toBe(MAX_PASS_WINDOW);
  pace.observe(3 * MIB, 2_000);
  expect(pace.windowBytes).toBe(3 * MIB);
  pace.observe(0, 5_000);
  expect(pace.windowBytes).toBe(3 * MIB);
  pace.observe(MIB, 10_000);
  expect(pace.windowBytes).toBe(MIN_PASS_WINDOW);
  pace.observe(100 * MIB, 1_000);
  expect(pace.windowBytes).toBe(MAX_PASS_WINDOW);
  // Too short a busy time to say anything of the link.
  pace.observe(1024, 10);
  expect(pace.windowBytes).toBe(MAX_PASS_WINDOW);
});
