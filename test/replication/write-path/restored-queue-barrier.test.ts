/**
 * The changes a clean shutdown left in the journal were durable before any new host write
 * existed: the first new write comes after a barrier, so the backup is flushed between them
 * (without it, a backup power loss could keep the new write and lose a restored one, a state
 * the primary never had).
 */
import { describe, expect, it } from 'vitest';
import { SendQueue } from '../../../src/replication/send-queue.js';
import { StagingJournal } from '../../../src/replication/staging-journal.js';
import { tempMetaDir } from '../temp-meta.js';

const B = 4096;

describe('send queue: changes restored at a clean start', () => {
  it('put a barrier between the last of them and the first new write', async () => {
    const dir = tempMetaDir();
    const journal = await StagingJournal.open({ dir, capacity: 1 << 20 });
    for (let i = 0; i < 3; i++) await journal.spill(i * B, B, Buffer.alloc(B, i + 1), -1);
    await journal.syncAll();
    await journal.close();
    const reopened = await StagingJournal.open({ dir, capacity: 1 << 20 });
    const queue = new SendQueue(reopened, 1 << 20);
    const restored = queue.restore(reopened.pending(), 0);
    expect(restored).toHaveLength(3);
    const fresh = queue.push(8 * B, B, Buffer.alloc(B, 9), 0);
    expect(fresh.epoch).toBeGreaterThan(restored.at(-1)!.epoch);
    await reopened.close();
  });
});
