/**
 * Continuous asynchronous mirroring's write path: the change's activity-log extents are
 * made hot (a durable write only when one was cold), it is queued in memory with a
 * reference to the host's buffer, applied locally as the host asked (FUA durable at once,
 * otherwise from the page cache, as an unreplicated LUN does), and acknowledged; the
 * Shipper sends it later. Keeps the figures the switching criteria read: the queue's
 * redundancy and inflow.
 */
import type { BlockDevice } from '../block/device.js';
import type { ActivityLog } from './activity-log.js';
import { applyLocally, type AfterWait, type HostOp, type WritePath } from './host-op.js';
import { RateMeter } from './rate-meter.js';
import { RedundancyTracker } from './redundancy-tracker.js';
import type { QueuedChange, SendQueue } from './send-queue.js';

export interface AsyncMirrorHooks {
  /** The change does not fit the queue: the engine leaves continuous mirroring and takes it another way. */
  whenFull(op: HostOp): Promise<void>;
  /** After each change is queued, with the queue's fill fraction (a tick would come too late at high rates). */
  queued(fill: number): void;
  /** A change is applied locally and may be shipped. */
  shippable(): void;
  /** A write waits for activity-log room, which only a confirmation of shipped changes makes. */
  confirmWanted(): void;
  /** The queue holds more than its memory bound and could not spill (the journal is full too). */
  overflowed(error: Error): void;
  /** The local image failed a change (it may hold part of it); called before the extent may cool. */
  localFailed(op: HostOp, error: unknown): void;
  /** Goes on after a wait for room, on this path or the engine's current one. */
  afterWait: AfterWait;
}

export class AsyncMirror implements WritePath {
  readonly redundancy: RedundancyTracker;
  readonly inflow = new RateMeter();

  constructor(
    private readonly local: BlockDevice,
    private readonly queue: SendQueue,
    private readonly activity: ActivityLog,
    chunkSize: number,
    private readonly clock: () => number,
    private readonly hooks: AsyncMirrorHooks,
    private readonly memoryBytes: number,
  ) {
    this.redundancy = new RedundancyTracker(chunkSize);
    // A queue a clean shutdown left: its changes count as pending like new ones.
    for (const c of queue.changes) if (!c.discard) this.redundancy.add(c.offset, c.length);
  }

  // Not async, no await on the common path: every host write passes here (each promise costs the collector).
  apply(op: HostOp): Promise<void> {
    const bytes = op.data?.length ?? 0;
    if (!this.queue.fits(bytes)) return this.hooks.whenFull(op);
    const hot = this.activity.acquire(op.offset, op.length);
    if (!hot) return this.queueAndApply(op, bytes, true);
    if (this.activity.starved) this.hooks.confirmWanted();
    return this.hooks.afterWait(hot, op, () => this.queueAndApply(op, bytes, true));
  }

  private queueAndApply(op: HostOp, bytes: number, mayWait: boolean): Promise<void> {
    // The journal lags the host: past twice the bound a write waits for the spill to make room, as
    // on a slow disk (else memory grew with the host's writes); once, whatever the spill did.
    if (mayWait && this.queue.memoryUsed + bytes > 2 * this.memoryBytes) {
      return this.queue.spill().catch(() => undefined).then(() => this.queueAndApply(op, bytes, false));
    }
    // The queue keeps the host's buffer past the acknowledgement: under the write's hold.
    const change = this.queue.push(op.offset, op.length, op.data, this.clock(), op.hold);
    this.hooks.queued(this.queue.fill);
    // A discard sends no data: it counts for neither the redundancy nor the inflow rate.
    if (op.data) {
      this.redundancy.add(op.offset, bytes);
      this.inflow.add(bytes);
    }
    return applyLocally(this.local, op, op.fua).then(
      () => this.appliedLocally(change, op.fua),
      (e: unknown) => this.notApplied(change, op, e),
    );
  }

  private appliedLocally(change: QueuedChange, fua: boolean): void {
    this.queue.acknowledged(change);
    // The host may count on this write from now on: the backup must not get later ones before it is durable there.
    if (fua) this.queue.barrier();
    if (this.queue.memoryUsed > this.memoryBytes) this.queue.spill().catch((e: Error) => this.hooks.overflowed(e));
    this.hooks.shippable();
  }

  private notApplied(change: QueuedChange, op: HostOp, e: unknown): never {
    // The host sees the error; the backup must not get the host's data, which the image may
    // have taken in part or not at all: what it holds there goes by a pass (localFailed).
    this.queue.withdraw(change);
    this.hooks.localFailed(op, e);
    this.released([change]);
    // Changes behind it may have waited for it to be applied: the shipper looks again.
    this.hooks.shippable();
    throw e;
  }

  /** The host issued a SYNCHRONIZE CACHE: it counts on what it saw acknowledged before. */
  flushIssued(): void {
    this.queue.barrier();
  }

  /**
   * The backup has these changes: they no longer count for the redundancy (what delta mode
   * would save is in what is still to send, not in what awaits its confirmation).
   */
  shipped(changes: readonly QueuedChange[]): void {
    for (const c of changes) if (!c.discard) this.redundancy.remove(c.offset, c.length);
  }

  /** A shipped change is held durably on both nodes (or folded into the delta table): its extents may cool. */
  readonly confirmed = (offset: number, length: number): void => this.activity.release(offset, length);

  /** Changes never shipped, withdrawn or folded into the delta table: their extents may cool. */
  released(changes: readonly QueuedChange[]): void {
    for (const c of changes) {
      this.activity.release(c.offset, c.length);
      if (!c.discard && !c.shipped) this.redundancy.remove(c.offset, c.length);
    }
  }

  /** Writes wait for shipped changes to be confirmed so that their extents may cool. */
  get extentsWanted(): boolean {
    return this.activity.starved;
  }

  /** The recovery point's age counts from here: changes shipped already are on the backup, confirmed or not. */
  get oldestPendingAt(): number | undefined {
    return this.queue.oldestUnshippedAt;
  }
}
