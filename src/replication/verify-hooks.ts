/**
 * What `tandem verify` of a running pair needs from its primary: to wait until the backup
 * has what the host had acknowledged, and to hold host writes for a last check (so a write
 * in flight during the scan is not taken for a difference: src/verify/live-recheck.ts);
 * which chunks the delta table already marks; where the backup holds nothing; and
 * --repair's pass over the extents found different.
 */
import type { ReplicationController } from './controller.js';
import type { DeltaPassResult } from './delta-pass.js';
import type { DeltaTable } from './delta-table.js';
import type { HostWriteOrder } from './host-write-order.js';
import type { PassProgress } from './pass-runner.js';
import type { AllocationExtent, ReplicaLink } from './replica-link.js';

/** How long one wait for the backup lasts at most: a backup that slow shows its differences. */
const CAUGHT_UP_MAX_MS = 30_000;

export interface VerifyHooks {
  caughtUp(): Promise<void>;
  /** `fn` with host writes held (those in progress done first) and the backup caught up under the hold. */
  holding<T>(fn: () => Promise<T>): Promise<T>;
  /** The backup's allocation through the replication link: its standby port refuses GET LBA STATUS to other initiators. */
  replicaAllocation(offset: number, maxLength: number): Promise<readonly AllocationExtent[] | undefined>;
  marked(offset: number, length: number): boolean;
  /** The ranges marked (durably), then copied by a pass now. */
  resync(ranges: ReadonlyArray<{ offset: number; length: number }>, onProgress?: PassProgress): Promise<DeltaPassResult>;
}

export function verifyHooks(controller: ReplicationController, table: DeltaTable, link: ReplicaLink, order: HostWriteOrder): VerifyHooks {
  const caughtUp = () => controller.caughtUp(CAUGHT_UP_MAX_MS);
  return {
    caughtUp,
    holding: (fn) =>
      order.holding(async () => {
        await caughtUp();
        return fn();
      }),
    replicaAllocation: (offset, maxLength) => link.allocation(offset, maxLength),
    marked: (offset, length) => table.marksAny(offset, length),
    resync: async (ranges, onProgress) => {
      for (const r of ranges) table.note(r.offset, r.length);
      await table.persist();
      return controller.replicateNow(onProgress);
    },
  };
}
