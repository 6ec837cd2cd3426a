/**
 * Sends the send queue to the backup, batch after batch: each batch's changes were in
 * flight on the host together and do not overlap (so any part of a batch the backup holds
 * is a state the host could have seen), contiguous ones merged into one WRITE, all of a
 * batch in flight at once. The backup is flushed only where the host put a barrier (a
 * flush, a FUA write) between two batches, so after a power loss it holds what the
 * primary's own disk could hold, no more is promised. Both images are made durable (one
 * flush each) every `confirmEveryMs` or `confirmEveryBytes`, and whenever the queue has
 * nothing left to send; then the confirmed changes leave the queue and their
 * activity-log extents may cool.
 */
import type { BlockDevice } from '../block/device.js';
import type { AsyncMirror } from './async-mirror.js';
import { ReplicationAction, encodePointParameters } from '../replica-protocol/index.js';
import { RateMeter } from './rate-meter.js';
import { peerRefused, type ReplicaLink } from './replica-link.js';
import { SendQueue, type ChangeData, type QueuedChange } from './send-queue.js';

export interface ShipperOptions {
  /** Changes per batch (default 256). */
  maxBatch?: number;
  /** Bytes per batch (default 16 MiB). */
  maxBatchBytes?: number;
  /** Bytes per merged WRITE: the backup's MaxBurstLength (default 1 MiB). */
  maxWriteBytes?: number;
  /** Confirm at least this often while changes keep coming (default 1 s). */
  confirmEveryMs?: number;
  /** Confirm after this many bytes shipped (default 32 MiB). */
  confirmEveryBytes?: number;
  /** With nothing left to send, confirm this soon after the last confirmation (default 100 ms): a trickle of writes costs at most one flush pair per interval. */
  confirmIdleMs?: number;
}

export class Shipper {
  /** Bytes shipped, for the overflow criterion. */
  readonly shippedRate = new RateMeter();
  private running: Promise<void> | undefined;
  /** The engine closed: nothing more is sent, and a batch still in flight touches nothing when it returns. */
  private stopped = false;
  private shippedSinceConfirm = 0;
  /** Changes shipped (discards too) not yet confirmed. */
  private awaitingConfirm = 0;
  /** The backup holds shipped writes of this epoch (or earlier) it may not have made durable. */
  private unflushedEpoch: number | undefined;
  private lastConfirmAt: number;
  private readonly maxBatch: number;
  private readonly maxBatchBytes: number;
  private readonly maxWriteBytes: number;
  private readonly confirmEveryMs: number;
  private readonly confirmEveryBytes: number;
  private readonly confirmIdleMs: number;
  /** A confirmation scheduled for when the idle interval has passed. */
  private confirmTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly queue: SendQueue,
    private readonly mirror: AsyncMirror,
    private readonly link: ReplicaLink,
    private readonly local: BlockDevice,
    /** Whether shipping is wanted now (continuous async mirroring, engine open). */
    private readonly active: () => boolean,
    private readonly onLinkFailure: (detail: string) => void,
    options: ShipperOptions = {},
  ) {
    this.maxBatch = options.maxBatch ?? 256;
    this.maxBatchBytes = options.maxBatchBytes ?? 16 * 1024 * 1024;
    this.maxWriteBytes = options.maxWriteBytes ?? 1024 * 1024;
    this.confirmEveryMs = options.confirmEveryMs ?? 1000;
    this.confirmEveryBytes = options.confirmEveryBytes ?? 32 * 1024 * 1024;
    this.confirmIdleMs = options.confirmIdleMs ?? 100;
    this.lastConfirmAt = Date.now();
  }

  kick(): void {
    if (this.running || this.stopped || !this.active()) return;
    const run = this.loop(false);
    this.running = run.then(
      (failure) => {
        if (failure) this.onLinkFailure(failure.message);
      },
    ).finally(() => {
      this.running = undefined;
      // Changes applied while the loop was finishing.
      if (this.active() && this.queue.nextBatch(1, Infinity).length > 0) this.kick();
    });
  }

  /**
   * A clean shutdown: no more batches; one still in flight (a backup that stopped
   * answering) is not waited for — its changes stay queued, the shutdown spills them.
   */
  stop(): void {
    this.stopped = true;
    if (this.confirmTimer) clearTimeout(this.confirmTimer);
  }

  /** Resolves once the loop in progress, if any, has stopped. */
  async idle(): Promise<void> {
    await this.running;
  }

  /**
   * Ships everything queued and confirms it (a switchover's drain, a clean shutdown), as
   * the one loop running: batches must reach the backup one after another. Throws what the
   * link threw.
   */
  async drain(): Promise<void> {
    for (;;) {
      if (this.stopped) throw new Error('replication engine closed');
      await this.idle();
      if (this.running) continue;
      const run = this.loop(true);
      this.running = run.then(() => undefined);
      const failure = await run.finally(() => (this.running = undefined));
      if (failure) throw failure;
      if (this.queue.allShipped && this.awaitingConfirm === 0) return;
      // A change still being applied locally heads the queue: let its write complete.
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  /** Ships batch after batch while wanted (or until all is shipped and confirmed, for a drain); returns the link's error. */
  private async loop(draining: boolean): Promise<Error | undefined> {
    try {
      while (!this.stopped && (draining || this.active())) {
        const batch = this.queue.nextBatch(this.maxBatch, this.maxBatchBytes);
        if (batch.length > 0) await this.ship(batch);
        else if (await this.shipPoint()) continue;
        if (this.stopped) return undefined;
        const idle = batch.length === 0;
        const since = Date.now() - this.lastConfirmAt;
        const due = this.shippedSinceConfirm >= this.confirmEveryBytes || since >= this.confirmEveryMs || (idle && since >= this.confirmIdleMs);
        // Confirm under load only now and then; with nothing left to send, soon (a drain: at once).
        if (this.awaitingConfirm > 0 && (due || (idle && draining))) await this.confirm();
        else if (this.awaitingConfirm > 0 && idle) this.confirmLater(this.confirmIdleMs - since);
        if (idle) return undefined;
      }
      return undefined;
    } catch (e) {
      return e as Error;
    }
  }

  /**
   * The due recovery point, if any: the backup has applied every change before it and takes
   * it (its own flush makes them durable). Returns whether one was sent. A refusal rejects
   * the point, not the link; a link failure both.
   */
  private async shipPoint(): Promise<boolean> {
    const point = this.queue.duePoint();
    if (!point || this.stopped) return false;
    try {
      await this.link.control(ReplicationAction.POINT, encodePointParameters(point));
    } catch (e) {
      this.queue.pointSent(e as Error);
      if (!peerRefused(e)) throw e;
      return true;
    }
    this.queue.pointSent();
    // The backup flushed its image to take the point.
    this.unflushedEpoch = undefined;
    return true;
  }

  private async ship(batch: QueuedChange[]): Promise<void> {
    if (this.stopped) return;
    // Across a host barrier, what the backup holds from before it is made durable first.
    if (this.unflushedEpoch !== undefined && this.unflushedEpoch !== batch[0]!.epoch) await this.flushBackup();
    const groups = SendQueue.groups(batch, this.maxWriteBytes);
    await Promise.all(
      groups.map(async (g) => {
        if (g.discard) return this.link.discard(g.offset, g.length);
        const lent = (await Promise.all(g.changes.map((c) => this.queue.dataOf(c)))) as ChangeData[];
        if (lent.length === 1) {
          // One change: its own buffer, no copy. Given back only once the backup has it:
          // after a failure (a timed-out command) the link may still send it later.
          await this.link.write(lent[0]!.data, g.offset, false);
          lent[0]!.done();
          return;
        }
        // Several contiguous ones: one WRITE of a copy.
        const data = Buffer.concat(
          lent.map((l) => l.data),
          g.length,
        );
        for (const l of lent) l.done();
        return this.link.write(data, g.offset, false);
      }),
    );
    if (this.stopped) return;
    this.queue.shipped(batch);
    this.unflushedEpoch = batch[0]!.epoch;
    let bytes = 0;
    for (const c of batch) if (!c.discard) bytes += c.length;
    this.shippedSinceConfirm += bytes;
    this.awaitingConfirm += batch.length;
    this.shippedRate.add(bytes);
  }

  private confirmLater(ms: number): void {
    if (this.confirmTimer) return;
    this.confirmTimer = setTimeout(() => {
      this.confirmTimer = undefined;
      this.kick();
    }, Math.max(1, ms));
    this.confirmTimer.unref();
  }

  /** Both copies durable: the shipped changes leave the queue. */
  private async confirm(): Promise<void> {
    this.lastConfirmAt = Date.now();
    this.shippedSinceConfirm = 0;
    this.awaitingConfirm = 0;
    await Promise.all([this.flushBackup(), this.local.flush()]);
    this.mirror.released(await this.queue.confirmShipped());
  }

  private async flushBackup(): Promise<void> {
    const epoch = this.unflushedEpoch;
    await this.link.flush();
    if (this.unflushedEpoch === epoch) this.unflushedEpoch = undefined;
  }
}

