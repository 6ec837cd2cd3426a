/**
 * A clean shutdown spills the send queue for the next start to ship. A change whose local
 * write had not completed must not go to the journal: if that write then failed, the host
 * saw an error, and the next start shipped its data to the backup anyway. It is marked in
 * the delta table instead (so are the applied ones behind it: the journal keeps queue order),
 * and the next start challenges it against the backup.
 */
import { describe, expect, it } from 'vitest';
import { DeltaTable } from '../../../src/replication/delta-table.js';
import { handOverQueue } from '../../../src/replication/queue-handover.js';
import { SendQueue } from '../../../src/replication/send-queue.js';
import { StagingJournal } from '../../../src/replication/staging-journal.js';
import { tempMetaDir } from '../temp-meta.js';

const B = 4096;
const CHUNK = 64 * 1024;

describe('clean shutdown: the queue handed over', () => {
  it('spills applied changes only; one still being written, and those behind it, are marked in the table', async () => {
    const journal = await StagingJournal.open({ dir: tempMetaDir(), capacity: 1 << 20 });
    const table = await DeltaTable.open({ dir: tempMetaDir(), volumeSize: 16 * CHUNK, chunkSize: CHUNK });
    const queue = new SendQueue(journal, B);
    const [first, writing, behind] = [0, 1, 2].map((i) => queue.push(i * CHUNK, B, Buffer.alloc(B, i + 1), 0));
    queue.acknowledged(first!);
    queue.acknowledged(behind!);
    await handOverQueue(queue, table);
    expect(journal.pending().map((e) => e.offset)).toEqual([first!.offset]);
    expect(table.markedChunks()).toEqual([table.chunkOf(writing!.offset), table.chunkOf(behind!.offset)]);
    await journal.close();
    await table.close();
  });
});
