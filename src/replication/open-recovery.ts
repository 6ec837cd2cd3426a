/**
 * What opening a replicated volume recovers before it serves: journal entries a crash
 * left (replayed onto the local image, whose write may be missing, and marked for the
 * backup, which may lack them), and a delta table lost while the replica was in sync
 * (every chunk marked).
 */
import type { BlockDevice } from '../block/device.js';
import type { DeltaTable } from './delta-table.js';
import type { StagingJournal } from './staging-journal.js';
import type { VolumeIdentity } from './volume-record.js';

export interface OpenRecovery {
  /** Journal entries replayed. */
  recovered: number;
  /** The replica may differ from the local image: start in delta and challenge first. */
  startInDelta: boolean;
}

export async function recoverAtOpen(
  local: BlockDevice,
  journal: StagingJournal,
  table: DeltaTable,
  identity: VolumeIdentity,
  /** Whether the replica was bound at open (a primary whose peer answered). */
  bound: boolean,
): Promise<OpenRecovery> {
  const recovered = journal.pending();
  for (const e of recovered) {
    if (e.discard) await local.discard(e.offset, e.length);
    else await local.write(await journal.readData(e), e.offset);
  }
  if (recovered.length > 0) await local.flush();
  for (const e of recovered) table.mark(e.offset, e.length);
  await table.persist();
  await journal.trimThrough(journal.lastSeq);
  const lostTracking = table.fresh && identity.replicaSynced;
  if (lostTracking) await table.markAll();
  return { recovered: recovered.length, startInDelta: table.dirtyChunks > 0 || !bound };
}
