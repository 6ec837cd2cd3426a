/**
 * What opening a replicated volume recovers before it serves. After a clean shutdown, the
 * send queue the shutdown spilled to the staging journal is taken up again. After a crash,
 * the local image and the backup may differ wherever the activity log was hot and wherever
 * a queued change was going: those chunks are marked in the delta table (the first pass
 * challenges them, so only differing chunks move) and the spilled queue is dropped (its
 * changes are on the image already, or were lost with the page cache as the host allowed).
 * A delta table lost while the replica was in sync marks every chunk.
 */
import type { ActivityLog } from './activity-log.js';
import type { DeltaTable } from './delta-table.js';
import type { JournalEntry, StagingJournal } from './staging-journal.js';
import type { VolumeIdentity } from './volume-record.js';

export interface OpenRecovery {
  /** Chunks marked because a crash left their state unknown. */
  recovered: number;
  /** Changes a clean shutdown left queued for the backup. */
  queued: JournalEntry[];
  /** The replica may differ from the local image: start in delta and challenge first. */
  startInDelta: boolean;
}

export async function recoverAtOpen(
  journal: StagingJournal,
  table: DeltaTable,
  activity: ActivityLog,
  identity: VolumeIdentity,
  /** Whether the last shutdown was clean (everything it says it persisted, it did). */
  clean: boolean,
  /** Whether the replica was bound at open (a primary whose peer answered). */
  bound: boolean,
): Promise<OpenRecovery> {
  let recovered = 0;
  let queued: JournalEntry[] = [];
  if (clean) queued = journal.pending();
  else {
    const before = table.dirtyChunks;
    const chunksPerExtent = activity.extentSize / table.chunkSize;
    for (const e of activity.recovered) {
      const first = e * chunksPerExtent;
      table.note(first * table.chunkSize, Math.min(activity.extentSize, table.volumeSize - first * table.chunkSize));
    }
    for (const e of journal.pending()) table.note(e.offset, e.length);
    if (activity.lost && identity.replicaSynced) await table.markAll();
    await table.persist();
    await journal.trimThrough(journal.lastSeq);
    recovered = table.dirtyChunks - before;
  }
  const lostTracking = table.fresh && identity.replicaSynced;
  if (lostTracking) await table.markAll();
  return { recovered, queued, startInDelta: table.dirtyChunks > 0 || !bound };
}
