/**
 * Continuous synchronous mirroring's write path, DRBD's protocol C: the change's
 * activity-log extents are made hot, then it goes to the local image and to the backup at
 * once, each as the host asked (FUA durable on both, otherwise applied on both; small
 * ones that arrive together go to the backup in one WRITE SCATTERED), and the host is
 * answered when both are done. A host flush is forwarded and completes once both
 * are durable; the changes it covers are confirmed then (or every `confirmEveryMs`, or at
 * once while a write waits for activity-log room), and their extents may cool. Seldom
 * otherwise: each confirmation writes back all both images hold dirty. A backup failure
 * never fails the host's write: the change is noted in the delta table and the engine
 * falls back to delta tracking.
 */
import type { BlockDevice } from '../block/device.js';
import type { BufferHold } from '../util/buffer-pool.js';
import type { ActivityLog } from './activity-log.js';
import type { DeltaTable } from './delta-table.js';
import { applyLocally, stayOnPath, type AfterWait, type HostOp, type WritePath } from './host-op.js';
import { DEFAULT_CONFIRM_EVERY_MS } from './confirm-cadence.js';
import { RangeLedger } from './range-ledger.js';
import type { ReplicaLink } from './replica-link.js';
import { ScatteredBatcher } from './scattered-batcher.js';

export class SyncMirror implements WritePath {
  /** Applied on both, not yet known durable on both. */
  private readonly unconfirmed = new RangeLedger();
  /** Changes ever added to `unconfirmed`, and of those the ones confirmed (flushes may overlap and finish in any order). */
  private added = 0;
  private confirmedThrough = 0;
  private lastConfirmAt = Date.now();
  /** The confirmation a starved write asked for, while in flight: one at a time. */
  private confirmingForRoom: Promise<void> | undefined;
  private readonly batcher: ScatteredBatcher;

  constructor(
    private readonly local: BlockDevice,
    private readonly link: ReplicaLink,
    private readonly activity: ActivityLog,
    private readonly table: DeltaTable,
    /** The backup missed a change the host is about to be told is done (resolve before answering). */
    private readonly onLinkFailure: (detail: string) => Promise<void> | void,
    /** The local image failed a change (it may hold part of it); called before the extent may cool. */
    private readonly onLocalFailure: (op: HostOp, error: unknown) => void = () => undefined,
    private readonly confirmEveryMs = DEFAULT_CONFIRM_EVERY_MS,
    private readonly afterWait: AfterWait = stayOnPath,
  ) {
    this.batcher = new ScatteredBatcher(link);
  }

  apply(op: HostOp): Promise<void> {
    const hot = this.activity.acquire(op.offset, op.length);
    if (!hot) return this.applyHot(op);
    this.confirmIfStarved();
    return this.afterWait(hot, op, () => this.applyHot(op));
  }

  /** The write's extents are durably hot: on both nodes now. */
  private async applyHot(op: HostOp): Promise<void> {
    const remote = settle(op.data ? this.writeRemote(op.data, op.offset, op.fua, op.hold) : this.link.discard(op.offset, op.length));
    const localResult = await settle(applyLocally(this.local, op, op.fua));
    const remoteResult = await remote;
    if (localResult.status === 'rejected') this.onLocalFailure(op, localResult.reason);
    if (remoteResult.status === 'fulfilled') {
      this.unconfirmed.push(op.offset, op.length, !op.data);
      this.added++;
      this.confirmIfStarved();
    } else {
      // The backup may lack it: the delta table says so (durable before the extent may cool).
      this.table.note(op.offset, op.length);
      this.activity.release(op.offset, op.length);
      await this.onLinkFailure((remoteResult.reason as Error).message);
    }
    if (localResult.status === 'rejected') throw localResult.reason;
  }

  /** The host's SYNCHRONIZE CACHE: durable on both before it completes. */
  async flush(): Promise<void> {
    const covers = this.added;
    const [local, remote] = await Promise.allSettled([this.local.flush(), this.link.flush()]);
    // The local flush's failure first: it is the host's to hear, a link's failure is the engine's.
    if (local.status === 'rejected') throw local.reason;
    if (remote.status === 'rejected') throw remote.reason;
    // A flush begun later may have finished first and confirmed these already.
    if (covers <= this.confirmedThrough) return;
    const count = covers - this.confirmedThrough;
    this.confirmedThrough = covers;
    this.unconfirmed.forEach(this.releaseRange, count);
    this.unconfirmed.shift(count);
  }

  /** From the engine's tick: confirm what is applied on both now and then, so extents cool. */
  async confirmIfDue(): Promise<void> {
    if (this.unconfirmed.length === 0 || Date.now() - this.lastConfirmAt < this.confirmEveryMs) return;
    this.lastConfirmAt = Date.now();
    await this.flush();
  }

  /** A write waits for activity-log room, every hot extent held by changes not known durable on both: confirm those now. */
  private confirmIfStarved(): void {
    if (this.confirmingForRoom || !this.activity.starved || this.unconfirmed.length === 0) return;
    this.confirmingForRoom = this.flush().then(
      () => {
        this.confirmingForRoom = undefined;
        // Changes applied meanwhile may hold the extents a write still waits for.
        this.confirmIfStarved();
      },
      // A failed flush is the link's failure, handled there; no retry loop here.
      () => (this.confirmingForRoom = undefined),
    );
  }

  /** Leaving synchronous mirroring: what is not known durable on both goes to the delta table. */
  fold(): void {
    this.unconfirmed.forEach((offset, length) => {
      this.table.note(offset, length);
      this.activity.release(offset, length);
    });
    this.unconfirmed.shift(this.unconfirmed.length);
    this.confirmedThrough = this.added;
  }

  private readonly releaseRange = (offset: number, length: number): void => this.activity.release(offset, length);

  /**
   * The link reads `data` until the backup has it, and possibly after its write failed (a
   * command that timed out may still sit in the initiator's socket queue, to be sent
   * later). The host's buffer is retained for it: released once the backup answered, never
   * after a failure, so a pooled buffer is never reused while the link may still send it.
   * Without a hold the bytes are copied.
   */
  private writeRemote(data: Buffer, offset: number, fua: boolean, hold: BufferHold | undefined): Promise<void> {
    const release = hold?.retain();
    const sent = hold ? data : Buffer.from(data);
    const applied = fua ? this.link.write(sent, offset, true) : this.batcher.write(sent, offset);
    return release ? applied.then(release) : applied;
  }
}

const FULFILLED: PromiseFulfilledResult<void> = Object.freeze({ status: 'fulfilled', value: undefined });
const fulfilled = (): PromiseFulfilledResult<void> => FULFILLED;
const rejected = (reason: unknown): PromiseRejectedResult => ({ status: 'rejected', reason });

/** One promise's outcome, as Promise.allSettled gives it, with less per write than allSettled's arrays and closures. */
function settle(p: Promise<void>): Promise<PromiseSettledResult<void>> {
  return p.then(fulfilled, rejected);
}
