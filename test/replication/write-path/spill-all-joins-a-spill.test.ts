/**
 * A clean shutdown's spill of the whole queue and a spill asked for meanwhile (a host write
 * completing) walk the same changes: each change must get one journal record, in queue order.
 */
import { describe, expect, it } from 'vitest';
import { SendQueue } from '../../../src/replication/send-queue.js';
import { StagingJournal } from '../../../src/replication/staging-journal.js';
import { tempMetaDir } from '../temp-meta.js';

const B = 4096;

describe('send queue: a spill asked for during the shutdown spill', () => {
  it('joins it: one record a change, in queue order', async () => {
    const journal = await StagingJournal.open({ dir: tempMetaDir(), capacity: 1 << 20 });
    const queue = new SendQueue(journal, B);
    const changes = [0, 1, 2].map((i) => queue.push(i * 4 * B, B, Buffer.alloc(B, i + 1), 0));
    for (const c of changes) queue.acknowledged(c);
    await Promise.all([queue.spillAll(), queue.spill()]);
    expect(journal.pending().map((e) => e.offset)).toEqual(changes.map((c) => c.offset));
    expect(queue.memoryUsed).toBe(0);
    await journal.close();
  });
});
