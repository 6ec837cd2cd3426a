/** Delta state's write path: mark the chunks (durably, before the ack), then write locally. */
import type { BlockDevice } from '../block/device.js';
import type { DeltaTable } from './delta-table.js';
import { applyLocally, type HostOp, type WritePath } from './host-op.js';
import type { RecoveryPointAge } from './recovery-point-age.js';

export class DeltaTracking implements WritePath {
  constructor(
    private readonly local: BlockDevice,
    private readonly table: DeltaTable,
    private readonly age: RecoveryPointAge,
  ) {}

  async apply(op: HostOp): Promise<void> {
    this.age.dirtied();
    const marking = this.table.mark(op.offset, op.length);
    if (marking) await marking;
    await applyLocally(this.local, op, op.fua);
  }
}
