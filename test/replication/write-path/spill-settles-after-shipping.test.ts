/**
 * A spill may write the record of a change that is in flight, and the backup may answer
 * (and even confirm) before the record is written: the shipped change then had no record to
 * tag, and its record was never trimmed. A clean restart replays the journal, so the backup
 * got the old bytes again over a newer write the host had acknowledged (a stale discard
 * would even unmap newer data). The record is trimmed once written.
 */
import { describe, expect, it } from 'vitest';
import { SendQueue } from '../../../src/replication/send-queue.js';
import { StagingJournal } from '../../../src/replication/staging-journal.js';
import { tempMetaDir } from '../temp-meta.js';
import { gatedJournalFiles } from './gated-journal-files.js';

const B = 4096;

async function shipAll(queue: SendQueue): Promise<void> {
  const batch = queue.nextBatch(16, Infinity);
  queue.sending(batch);
  queue.shipped(batch);
  await queue.confirmShipped();
}

describe('send queue: a spill that settles after its change was shipped', () => {
  for (const discard of [false, true]) {
    for (const confirmedFirst of [false, true]) {
      it(`leaves no record a clean restart would replay (${discard ? 'a discard' : 'a write'}, ${confirmedFirst ? 'confirmed' : 'shipped'} before its record was written)`, async () => {
        const dir = tempMetaDir();
        const { files, release } = gatedJournalFiles();
        const journal = await StagingJournal.open({ dir, capacity: 1 << 20, files });
        // Less room than one change: memory is over the bound.
        const queue = new SendQueue(journal, B / 2);
        const old = queue.push(0, B, discard ? undefined : Buffer.alloc(B, 0xaa), 0);
        const other = queue.push(8 * B, B, Buffer.alloc(B, 0x11), 0);
        queue.acknowledged(old);
        const inFlight = queue.nextBatch(1, Infinity);
        expect(inFlight).toEqual([old]);
        queue.sending(inFlight);
        // The spill starts with the head, in flight (and stops at the change not yet applied
        // behind it); the backup answers while the head's record is still being written.
        const spilling = queue.spill();
        queue.shipped(inFlight);
        if (confirmedFirst) {
          await queue.confirmShipped();
          // The host writes the same range again; shipped from memory and confirmed.
          const newer = queue.push(0, B, Buffer.alloc(B, 0xbb), 0);
          queue.acknowledged(newer);
          await shipAll(queue);
        }
        release();
        await spilling;
        queue.acknowledged(other);
        await shipAll(queue);
        if (!confirmedFirst) {
          const newer = queue.push(0, B, Buffer.alloc(B, 0xbb), 0);
          queue.acknowledged(newer);
          await shipAll(queue);
        }
        // A clean shutdown: nothing left to send, so nothing for the next start to replay.
        await queue.spillAll();
        expect(journal.usedBytes).toBe(0);
        await journal.close();
        const reopened = await StagingJournal.open({ dir, capacity: 1 << 20 });
        expect(reopened.pending()).toEqual([]);
        await reopened.close();
      });
    }
  }
});
