/**
 * Continuous synchronous mirroring's write path: the chunk is marked in the activity log
 * (the delta table), then the op goes to the local image and, durably, to the backup at
 * once; the host is answered when both are done. A backup failure never fails the host's
 * write: the chunk stays marked and the engine falls back to delta tracking.
 */
import type { BlockDevice } from '../block/device.js';
import type { BufferHold } from '../util/buffer-pool.js';
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
    const remote = op.data ? this.writeRemote(op.data, op.offset, op.hold) : this.link.discard(op.offset, op.length).then(() => this.link.flush());
    const [localResult, remoteResult] = await Promise.allSettled([applyLocally(this.local, op, op.fua), remote]);
    this.table.endWrite(op.offset, op.length, remoteResult.status === 'fulfilled');
    if (localResult.status === 'rejected') throw localResult.reason;
    if (remoteResult.status === 'rejected') this.onLinkFailure((remoteResult.reason as Error).message);
  }

  /**
   * The link reads `data` until the backup has it, and possibly after its write failed (a
   * command that timed out may still sit in the initiator's socket queue, to be sent
   * later). The host's buffer is retained for it: released once the backup answered, never
   * after a failure, so a pooled buffer is never reused while the link may still send it.
   * Without a hold the bytes are copied.
   */
  private writeRemote(data: Buffer, offset: number, hold: BufferHold | undefined): Promise<void> {
    if (!hold) return this.link.write(Buffer.from(data), offset, true);
    const release = hold.retain();
    return this.link.write(data, offset, true).then(release);
  }
}
