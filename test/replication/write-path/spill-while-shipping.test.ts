/**
 * A spill walks the unshipped changes while batches keep being shipped (each answered batch
 * leaves the head of the queue): it must not skip a change because the ones before it left
 * meanwhile. The journal holds the spilled changes in queue order, or a confirmed prefix
 * would trim the record of a later change that is still waiting to be shipped.
 */
import { describe, expect, it } from 'vitest';
import { SendQueue } from '../../../src/replication/send-queue.js';
import { StagingJournal } from '../../../src/replication/staging-journal.js';
import { tempMetaDir } from '../temp-meta.js';

const B = 4096;

describe('send queue: a spill while batches are shipped', () => {
  it('spills every unshipped change over the bound, in queue order, whatever left the head meanwhile', async () => {
    const journal = await StagingJournal.open({ dir: tempMetaDir(), capacity: 1 << 20 });
    const queue = new SendQueue(journal, B);
    // In flight on the host together: any of them may share a batch.
    const changes = Array.from({ length: 8 }, (_, i) => queue.push(i * B, B, Buffer.alloc(B, i + 1), 0));
    for (const c of changes) queue.acknowledged(c);
    const spilling = queue.spill();
    // While the first record is written, the two oldest changes are shipped and leave the head.
    const batch = queue.nextBatch(2, Infinity);
    expect(batch.map((c) => c.offset)).toEqual([0, B]);
    queue.sending(batch);
    queue.shipped(batch);
    await spilling;
    // One change may stay in memory (the bound); every other unshipped one is spilled, none skipped.
    const unshipped = queue.changes;
    expect(unshipped.map((c) => c.offset)).toEqual([2, 3, 4, 5, 6, 7].map((i) => i * B));
    expect(unshipped.filter((c) => !c.spilled).length).toBeLessThanOrEqual(1);
    const seqs = unshipped.filter((c) => c.spilled).map((c) => c.spilled!.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(unshipped.slice(0, seqs.length).every((c) => c.spilled)).toBe(true);
    await journal.close();
  });
});
