/**
 * A synchronous mirror's remote write that fails (the link timed out) may still be sent
 * later: the initiator's socket queue holds a view of the host's buffer. That buffer is
 * pooled (the target's Data-Out memory), so the mirror keeps a hold on it for the link:
 * released once the backup has the bytes, never after a failure. Whatever the link sends
 * late is then exactly what the host wrote, however many writes reuse the pool meanwhile.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemoryBlockStore } from '../../../src/block/memory-store.js';
import type { ActivityLog } from '../../../src/replication/activity-log.js';
import type { DeltaTable } from '../../../src/replication/delta-table.js';
import type { ReplicaLink } from '../../../src/replication/replica-link.js';
import { SyncMirror } from '../../../src/replication/sync-mirror.js';
import { BufferPool } from '../../../src/util/buffer-pool.js';

const SIZE = 64 * 1024;
const VOLUME = 64 * SIZE;

/** A link whose writes either succeed or time out, a timed-out write's data left queued (a view, not a copy). */
class QueueingLink {
  readonly late: Array<{ data: Buffer; expected: Buffer }> = [];
  readonly backup = new MemoryBlockStore({ size: VOLUME });
  outcome: 'ok' | 'timeout' = 'ok';
  expected = Buffer.alloc(0);

  async write(data: Buffer, offset: number): Promise<void> {
    if (this.outcome === 'timeout') {
      this.late.push({ data, expected: this.expected });
      throw new Error('write on replica failed: command timed out');
    }
    await this.backup.write(data, offset);
  }
}

const noActivity = { acquire: () => undefined, release: () => undefined } as unknown as ActivityLog;
const noTable = { note: () => undefined } as unknown as DeltaTable;

describe('synchronous mirroring, a remote write that failed', () => {
  it('keeps the host buffer for the link: its late bytes are what the host wrote', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.record({ fails: fc.boolean(), slot: fc.nat({ max: 63 }), fill: fc.integer({ min: 1, max: 255 }) }), { minLength: 1, maxLength: 40 }), async (writes) => {
        const pool = new BufferPool({ minBytes: SIZE, maxBytes: SIZE, maxIdleBytes: 4 * SIZE });
        const link = new QueueingLink();
        const failures: string[] = [];
        const local = new MemoryBlockStore({ size: VOLUME });
        const mirror = new SyncMirror(local, link as unknown as ReplicaLink, noActivity, noTable, (detail) => {
          failures.push(detail);
        });
        for (const w of writes) {
          // The target's part: a pooled Data-Out buffer, lent with its lease as the hold, released when the command is done.
          const lease = pool.take(SIZE);
          lease.buffer.fill(w.fill);
          link.outcome = w.fails ? 'timeout' : 'ok';
          link.expected = Buffer.from(lease.buffer);
          await mirror.apply({ offset: w.slot * SIZE, length: SIZE, data: lease.buffer, fua: true, hold: lease });
          lease.release();
        }
        expect(failures).toHaveLength(writes.filter((w) => w.fails).length);
        // The link's socket finally sends what it had queued.
        for (const l of link.late) expect(l.data.equals(l.expected)).toBe(true);
      }),
      { numRuns: 100 },
    );
  });

  it('gives buffers the backup has back to the pool', async () => {
    const pool = new BufferPool({ minBytes: SIZE, maxBytes: SIZE, maxIdleBytes: 4 * SIZE });
    const link = new QueueingLink();
    const mirror = new SyncMirror(new MemoryBlockStore({ size: VOLUME }), link as unknown as ReplicaLink, noActivity, noTable, () => undefined);
    const lease = pool.take(SIZE);
    await mirror.apply({ offset: 0, length: SIZE, data: lease.buffer, fua: true, hold: lease });
    lease.release();
    expect(pool.idleBytes).toBe(SIZE);
  });

  it('copies the bytes for the link when the caller gives no hold', async () => {
    const link = new QueueingLink();
    link.outcome = 'timeout';
    const mirror = new SyncMirror(new MemoryBlockStore({ size: VOLUME }), link as unknown as ReplicaLink, noActivity, noTable, () => undefined);
    const data = Buffer.alloc(SIZE, 7);
    link.expected = Buffer.from(data);
    await mirror.apply({ offset: 0, length: SIZE, data, fua: true });
    data.fill(9);
    expect(link.late[0]!.data.equals(link.late[0]!.expected)).toBe(true);
  });
});
