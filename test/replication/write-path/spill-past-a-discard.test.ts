/**
 * A queued discard has no bytes to spill, but it must not stop a spill: the writes queued
 * behind it would stay in memory past the bound for as long as the discard waits to be
 * shipped (it never joins the pipeline, so behind a stalled link until the link times out),
 * and memory would grow with the host's writes. Spilled, it keeps its place in the journal's
 * order, so a clean restart replays it before the writes that followed it.
 */
import { describe, expect, it } from 'vitest';
import { SendQueue } from '../../../src/replication/send-queue.js';
import { StagingJournal } from '../../../src/replication/staging-journal.js';
import { tempMetaDir } from '../temp-meta.js';

const B = 4096;

describe('send queue: a spill past a queued discard', () => {
  it('spills the writes behind a discard down to the memory bound, the discard in its place', async () => {
    const dir = tempMetaDir();
    const journal = await StagingJournal.open({ dir, capacity: 1 << 20 });
    const queue = new SendQueue(journal, 2 * B);
    const changes = [queue.push(0, B, Buffer.alloc(B, 1), 0), queue.push(8 * B, 4 * B, undefined, 0)];
    for (let i = 2; i < 10; i++) changes.push(queue.push(i * 16 * B, B, Buffer.alloc(B, i), 0));
    for (const c of changes) queue.acknowledged(c);
    await queue.spill();
    expect(queue.memoryUsed).toBeLessThanOrEqual(2 * B);
    // The journal's order is the queue's: what a clean restart replays.
    await queue.spillAll();
    await journal.close();
    const reopened = await StagingJournal.open({ dir, capacity: 1 << 20 });
    expect(reopened.pending().map((e) => [e.offset, e.discard])).toEqual(changes.map((c) => [c.offset, c.discard]));
    await reopened.close();
  });
});
