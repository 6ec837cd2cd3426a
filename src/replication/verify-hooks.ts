/**
 * What `tandem verify` of a running pair needs from its primary: to wait until the backup
 * has what the host had acknowledged (so a write in flight during the scan is not taken for
 * a difference: src/verify/live-recheck.ts), which chunks the delta table already marks,
 * where the backup holds nothing, and --repair's pass over the extents found different.
 */
import type { ReplicationController } from './controller.js';
import type { DeltaPassResult } from './delta-pass.js';
import type { DeltaTable } from './delta-table.js';
import type { PassProgress } from './pass-runner.js';
import type { AllocationExtent, ReplicaLink } from './replica-link.js';

/** How long one wait for the backup lasts at most: a backup that slow shows its differences. */
const CAUGHT_UP_MAX_MS = 30_000;

export interface VerifyHooks {
  caughtUp(): Promise<void>;
  /** The backup's allocation through the replication link: its standby port refuses GET LBA STATUS to other initiators. */
  replicaAllocation(offset: number, maxLength: number): Promise<readonly AllocationExtent[] | undefined>;
  marked(offset: number, length: number): boolean;
  /** The ranges marked (durably), then copied by a pass now. */
  resync(ranges: ReadonlyArray<{ offset: number; length: number }>, onProgress?: PassProgress): Promise<DeltaPassResult>;
}

export function verifyHooks(controller: ReplicationController, table: DeltaTable, link: ReplicaLink): VerifyHooks {
  return {
    caughtUp: () => controller.caughtUp(CAUGHT_UP_MAX_MS),
    replicaAllocation: (offset, maxLength) => link.allocation(offset, maxLength),
    marked: (offset, length) => table.marksAny(offset, length),
    resync: async (ranges, onProgress) => {
      for (const r of ranges) table.note(r.offset, r.length);
      await table.persist();
      return controller.replicateNow(onProgress);
    },
  };
}
