/**
 * Delta state's write path: the change's activity-log extent is made hot, its chunks are
 * marked in the delta table in memory (the table is made durable before the extent may
 * leave the log, and every tick), and it is applied locally as the host asked.
 */
import type { BlockDevice } from '../block/device.js';
import type { ActivityLog } from './activity-log.js';
import type { DeltaTable } from './delta-table.js';
import { applyLocally, type HostOp, type WritePath } from './host-op.js';
import type { RecoveryPointAge } from './recovery-point-age.js';

export class DeltaTracking implements WritePath {
  constructor(
    private readonly local: BlockDevice,
    private readonly table: DeltaTable,
    private readonly activity: ActivityLog,
    private readonly age: RecoveryPointAge,
  ) {}

  async apply(op: HostOp): Promise<void> {
    this.age.dirtied();
    const hot = this.activity.acquire(op.offset, op.length);
    if (hot) await hot;
    this.table.note(op.offset, op.length);
    try {
      await applyLocally(this.local, op, op.fua);
    } finally {
      // The table covers the change from here (durable before the extent may cool).
      this.activity.release(op.offset, op.length);
    }
  }
}
