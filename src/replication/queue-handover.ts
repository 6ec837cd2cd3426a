/**
 * What a clean shutdown hands to the next start: the send queue, spilled to the staging
 * journal (the next open ships it as if nothing happened), and, marked in the delta table,
 * what was shipped but never confirmed durable on the backup.
 */
import type { ActivityLog } from './activity-log.js';
import type { DeltaTable } from './delta-table.js';
import type { SendQueue } from './send-queue.js';
import type { JournalEntry, StagingJournal } from './staging-journal.js';

/** At a clean shutdown, after the engine stopped: the queue goes to the journal (or, if it cannot, or behind a write not yet applied, to the delta table). */
export async function handOverQueue(queue: SendQueue, table: DeltaTable): Promise<void> {
  // Shipped but never confirmed durable on the backup: the table marks them for the next pass.
  queue.forEachUnconfirmed((offset, length) => table.note(offset, length));
  let spilled = true;
  await queue.spillAll().catch(() => (spilled = false));
  if (!spilled) for (const c of (await queue.drainAll()).unshipped) table.note(c.offset, c.length);
  // Left in memory behind a write still in flight: the next start challenges them (and starts in delta).
  else for (const c of queue.changes) if (!c.spilled) table.note(c.offset, c.length);
}

/**
 * The send queue a clean shutdown left in the journal: queued again (each change's
 * activity-log extent hot again) when mirroring can resume, or marked in the delta table
 * when the volume starts in delta anyway.
 */
export async function resumeQueue(
  spilled: readonly JournalEntry[],
  startInDelta: boolean,
  queue: SendQueue,
  journal: StagingJournal,
  table: DeltaTable,
  activity: ActivityLog,
  clock: () => number,
): Promise<void> {
  if (spilled.length === 0) return;
  if (startInDelta) {
    for (const e of spilled) table.note(e.offset, e.length);
    await table.persist();
    await journal.trimThrough(journal.lastSeq);
    return;
  }
  for (const c of queue.restore(spilled, clock())) await activity.acquire(c.offset, c.length);
}
