/**
 * Continuous synchronous mirroring's write path: the chunk is marked in the activity log
 * (the delta table), then the op goes to the local image and, durably, to the backup at
 * once; the host is answered when both are done. A backup failure never fails the host's
 * write: the chunk stays marked and the engine falls back to delta tracking.
 */
import type { BlockDevice } from '../block/device.js';
import type { DeltaTable } from './delta-table.js';
import { applyLocally, type HostOp, type WritePath } from './host-op.js';
import type { ReplicaLink } from './replica-link.js';

export class SyncMirror implements WritePath {
  constructor(
    private readonly local: BlockDevice,
    private readonly link: ReplicaLink,
    private readonly table: DeltaTable,
    private readonly onLinkFailure: (detail: string) => void,
  ) {}

  async apply(op: HostOp): Promise<void> {
    const marking = this.table.beginWrite(op.offset, op.length);
    if (marking) await marking;
    // A discard is durable on the backup once its cache is synchronised, as a FUA write is at once.
    const remote = op.data ? this.link.write(op.data, op.offset, true) : this.link.discard(op.offset, op.length).then(() => this.link.flush());
    const [localResult, remoteResult] = await Promise.allSettled([applyLocally(this.local, op, op.fua), remote]);
    this.table.endWrite(op.offset, op.length, remoteResult.status === 'fulfilled');
    if (localResult.status === 'rejected') throw localResult.reason;
    if (remoteResult.status === 'rejected') this.onLinkFailure((remoteResult.reason as Error).message);
  }
}
