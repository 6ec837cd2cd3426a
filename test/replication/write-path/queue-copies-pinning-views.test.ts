/**
 * The send queue keeps the host's buffer without copying it, unless the bytes are a small
 * part of a larger buffer — a small write's data inside the 64 KiB socket read it arrived
 * in: kept as a view, the whole read would stay in memory as long as the change waits, while
 * the queue's memory bound counted only the change's bytes (a host of 512-byte writes could
 * make it hold 128 times its bound). The copies come from a pool of their own and go back to
 * it once neither the queue nor a sender reads them (a fresh buffer per copy kept the
 * collector running full collections).
 */
import { describe, expect, it } from 'vitest';
import { SendQueue } from '../../../src/replication/send-queue.js';
import { StagingJournal } from '../../../src/replication/staging-journal.js';
import { BufferPool, UNPOOLED_HOLD } from '../../../src/util/buffer-pool.js';
import { tempMetaDir } from '../temp-meta.js';

describe('send queue: what it keeps of the host buffer', () => {
  it('copies a small view of a larger buffer and keeps no hold on that buffer; keeps a buffer of its own size as it is, under its hold', async () => {
    const journal = await StagingJournal.open({ dir: tempMetaDir(), capacity: 1 << 20 });
    const queue = new SendQueue(journal, 1 << 30);
    const pool = new BufferPool({ minBytes: 4096, maxBytes: 1 << 20, maxIdleBytes: 1 << 24 });

    // 512 bytes in a 64 KiB read.
    const read = pool.take(64 * 1024);
    read.buffer.fill(7);
    const small = queue.push(0, 512, read.buffer.subarray(4096, 4608), 0, read);
    expect(small.data!.buffer).not.toBe(read.buffer.buffer);
    expect(small.data!.equals(Buffer.alloc(512, 7))).toBe(true);
    // Nothing of the read is held: once its owner lets go, the pool has it back.
    read.release();
    expect(pool.idleBytes).toBe(64 * 1024);
    read.buffer.fill(0);
    expect(small.data!.equals(Buffer.alloc(512, 7))).toBe(true);

    // A 48 KiB write landed in its 64 KiB pooled buffer: kept as it is, the pool waits for the queue.
    const landed = pool.take(48 * 1024);
    expect(pool.idleBytes).toBe(0);
    const large = queue.push(4096, 48 * 1024, landed.buffer, 0, landed);
    expect(large.data).toBe(landed.buffer);
    landed.release();
    expect(pool.idleBytes).toBe(0);
    await queue.drainAll();
    expect(pool.idleBytes).toBe(64 * 1024);
    await journal.close();
  });

  it('reuses a copy only once neither the queue nor a sender reads it', async () => {
    const journal = await StagingJournal.open({ dir: tempMetaDir(), capacity: 1 << 20 });
    const queue = new SendQueue(journal, 1 << 30);
    const smallWrite = (offset: number, fill: number) => {
      const change = queue.push(offset, 4096, Buffer.alloc(64 * 1024, fill).subarray(0, 4096), 0, UNPOOLED_HOLD);
      queue.acknowledged(change);
      return change;
    };
    const a = smallWrite(0, 1);
    const lent = queue.lendHeld(a)!;
    const copyOfA = lent.data;
    const batch = queue.nextBatch(256, 1 << 20);
    expect(batch).toEqual([a]);
    queue.sending(batch);
    queue.shipped(batch);
    expect(a.data).toBeUndefined();

    // The queue let go of it, the sender has not: a new copy goes elsewhere.
    const b = smallWrite(8192, 2);
    expect(b.data!.buffer).not.toBe(copyOfA.buffer);
    expect(copyOfA.equals(Buffer.alloc(4096, 1))).toBe(true);

    // Given back: the next copy takes its memory.
    lent.done();
    const c = smallWrite(16384, 3);
    expect(c.data!.buffer).toBe(copyOfA.buffer);
    expect(c.data!.equals(Buffer.alloc(4096, 3))).toBe(true);
    expect(b.data!.equals(Buffer.alloc(4096, 2))).toBe(true);
    await queue.drainAll();
    await journal.close();
  });
});
