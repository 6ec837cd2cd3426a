/**
 * Sends the send queue to the backup, batch after batch: each batch's changes were in
 * flight on the host together and do not overlap (so any part of a batch the backup holds
 * is a state the host could have seen), contiguous ones merged into one WRITE, small
 * scattered ones packed into WRITE SCATTERED commands, all of a batch in flight at once.
 * Several batches are in flight together (a round trip per batch would cap the rate at the
 * link's latency, not the backup's speed): each one's first WRITE carries the ORDERED task
 * attribute, so the backup starts a batch only once the batches before it have completed,
 * and aborts it if one of them failed. Batches with a discard go alone. The backup is flushed
 * only where the host put a barrier (a flush, a FUA write) between two batches, by an ORDERED
 * SYNCHRONIZE CACHE in the pipeline, so after a power loss it holds what the primary's own
 * disk could hold, no more is promised. Both images are made durable (one flush each) every
 * `confirmEveryMs` or `confirmEveryBytes`, when a write waits for activity-log room or
 * shipped spills hold a quarter of the journal, and once the host has paused (nothing left
 * to send, no change queued for `confirmIdleMs`); then the confirmed changes leave the
 * queue and their activity-log extents may cool. Seldom under load, as the page cache of an
 * unreplicated LUN is written back seldom: each confirmation writes back what both images
 * hold dirty (measured: confirming every 32 MiB cost the primary a fifth of its CPU per
 * write).
 */
import type { BlockDevice } from '../block/device.js';
import type { AsyncMirror } from './async-mirror.js';
import { ReplicationAction, encodePointParameters } from '../replica-protocol/index.js';
import { DEFAULT_CONFIRM_EVERY_BYTES, DEFAULT_CONFIRM_EVERY_MS } from './confirm-cadence.js';
import { RateMeter } from './rate-meter.js';
import { peerRefused, type ReplicaLink } from './replica-link.js';
import type { QueuedChange, SendQueue } from './send-queue.js';
import { issueGroups } from './ship-commands.js';
import { LoopWaker } from './loop-waker.js';
import { bytesOf, shipGroups } from './ship-groups.js';

export interface ShipperOptions {
  /** Changes per batch (default 256). */
  maxBatch?: number;
  /** Bytes per batch (default 16 MiB). */
  maxBatchBytes?: number;
  /** Bytes per merged WRITE: the backup's MaxBurstLength (default 1 MiB). */
  maxWriteBytes?: number;
  /** Confirm at least this often while changes keep coming (default 30 s: confirm-cadence.ts). */
  confirmEveryMs?: number;
  /** Confirm after this many bytes shipped (default 1 GiB). */
  confirmEveryBytes?: number;
  /**
   * With nothing left to send, confirm once no change has been queued for this long (default
   * 100 ms): after a burst, not between two writes of a steady stream (a flush pair each time
   * the shipper caught up kept a sync in flight on the primary nearly half the time).
   */
  confirmIdleMs?: number;
  /**
   * Data bytes per WRITE SCATTERED (default 60 KiB: with its block of range descriptors,
   * within the 64 KiB FirstBurstLength targets commonly take, so it goes without an R2T).
   */
  maxScatteredBytes?: number;
  /** Batches in flight together (default 64; 1 ships batch after batch). */
  maxBatchesInFlight?: number;
  /**
   * Bytes a batch may join the pipeline with, counting those in flight (default 2 MiB, or a
   * quarter of a second of the link's rate when more; a batch alone may be larger): on a slow
   * link all in flight lands before a switch to delta mode folds the queue, on a fast one the
   * pipeline covers the backup's latency under load.
   */
  maxPipelinedBytes?: number;
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
  /** Batches recorded shipped so far: a backup flush clears `unflushedEpoch` only if none was shipped while it ran. */
  private shippedBatches = 0;
  /** A confirmation in progress: shipping goes on beside it (it covers what was shipped when it began). */
  private confirming: Promise<void> | undefined;
  /** What a confirmation or a batch in flight threw: the loop sends nothing more and ends with it (a later batch must not land without the failed one). */
  private failure: Error | undefined;
  private lastConfirmAt: number;
  /** The newest change queued when the queue was last found with nothing to send, and when. */
  private quietMark: { seq: number; at: number } | undefined;
  private readonly maxBatch: number;
  private readonly maxBatchBytes: number;
  private readonly maxWriteBytes: number;
  private readonly confirmEveryMs: number;
  private readonly confirmEveryBytes: number;
  private readonly confirmIdleMs: number;
  /** A confirmation scheduled for when the idle interval has passed. */
  private confirmTimer: NodeJS.Timeout | undefined;
  private readonly maxInFlight: number;
  private readonly maxScatteredBytes: number;
  private readonly maxPipelinedBytes: number;
  /** Batches sent and not yet answered, oldest first (a batch that opens an epoch carries its barrier flush). */
  private readonly inFlight: Array<{ batch: QueuedChange[]; bytes: number; answered: Promise<void> }> = [];
  /** The epoch of the newest batch in flight. */
  private inFlightEpoch = 0;
  /** Batches' WRITEs are issued one batch after another, in queue order (a spilled change's bytes are read first). */
  private issuing: Promise<unknown> = Promise.resolve();
  /** The loop waits for the oldest answer here: new changes wake it. */
  private readonly waker = new LoopWaker();

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
    this.confirmEveryMs = options.confirmEveryMs ?? DEFAULT_CONFIRM_EVERY_MS;
    this.confirmEveryBytes = options.confirmEveryBytes ?? DEFAULT_CONFIRM_EVERY_BYTES;
    this.confirmIdleMs = options.confirmIdleMs ?? 100;
    this.maxInFlight = Math.max(1, options.maxBatchesInFlight ?? 64);
    this.maxScatteredBytes = options.maxScatteredBytes ?? 60 * 1024;
    this.maxPipelinedBytes = options.maxPipelinedBytes ?? 2 * 1024 * 1024;
    this.lastConfirmAt = Date.now();
  }

  kick(): void {
    // A loop waiting for an answer looks again: the new change may join the pipeline.
    if (this.running) return this.waker.soon();
    if (this.stopped || !this.active()) return;
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
    this.waker.now();
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
      if (this.queue.unshippedCount === 0 && this.awaitingConfirm === 0) return;
      // A change still being applied locally heads the queue: let its write complete.
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  /** Ships batch after batch while wanted (or until all is shipped and confirmed, for a drain); returns the link's error. */
  private async loop(draining: boolean): Promise<Error | undefined> {
    try {
      while (!this.stopped && (draining || this.active())) {
        this.throwFailure();
        // Due under load: started beside the shipping, which a flush pair of a few hundred MiB would stall for a second.
        if (this.awaitingConfirm > 0 && !this.confirming && this.confirmDue()) this.startConfirm();
        const { batch, grows } = this.queue.pickNext(this.maxBatch, this.maxBatchBytes);
        if (batch.length > 0 && this.mayPipeline(batch, grows)) {
          this.send(batch);
          continue;
        }
        // The pipeline is full, or the next batch must go alone: wait for the oldest answer.
        const oldest = this.inFlight[0];
        if (oldest) {
          if (!(await this.waker.answeredOrWoken(oldest.answered))) continue;
          // In order, and none after a failure: the backup holds a prefix of what is recorded shipped.
          this.inFlight.shift();
          this.shipped(oldest.batch);
          continue;
        }
        if (batch.length > 0) {
          // After a barrier, with a confirmation in progress: its backup flush may be the one the batch needs.
          if (this.confirming && this.needsBackupFlush(batch)) {
            await this.waker.answeredOrWoken(this.confirming);
            continue;
          }
          // Alone (a discard) across a host barrier: the backup is flushed first. Never so for a
          // batch in the pipeline: awaiting would let the batch after it be issued first.
          if (!this.stopped && this.needsBackupFlush(batch)) await this.flushBackup();
          await this.ship(batch, false);
          this.shipped(batch);
        } else if (await this.shipPoint()) continue;
        if (this.stopped) return undefined;
        const idle = batch.length === 0;
        // Nothing left to send at all, not just a change still being applied locally at the head (that is load).
        const quiet = idle && this.queue.unshippedCount === 0;
        const quietMs = quiet ? this.quietFor() : 0;
        // Confirm under load only now and then; once the host pauses, soon (a drain: at once).
        if (this.awaitingConfirm > 0 && !this.confirming && (this.confirmDue() || (quiet && quietMs >= this.confirmIdleMs) || (idle && draining))) this.startConfirm();
        else if (this.awaitingConfirm > 0 && quiet) this.confirmLater(this.confirmIdleMs - quietMs);
        if (!idle) continue;
        // The loop ends only once a confirmation has settled: whoever waits for it (a fold, a drain) then sees the queue settled.
        if (!this.confirming) return undefined;
        await this.waker.answeredOrWoken(this.confirming);
      }
      // No longer wanted (the engine leaves continuous mirroring): what is in flight lands first,
      // so nothing shipped arrives after whatever the engine sends next. A closed engine does not wait.
      if (!this.stopped) {
        await this.settleInFlight();
        // The queue may be folded next: a confirmation must not remove changes from it afterwards.
        await this.confirming;
      }
      return undefined;
    } catch (e) {
      // Whatever was in flight is answered (or failed) before the queue is told to send it again.
      await Promise.allSettled(this.inFlight.splice(0).map((f) => f.answered));
      await this.confirming;
      this.failure = undefined;
      this.queue.unsend();
      return e as Error;
    }
  }

  private async settleInFlight(): Promise<void> {
    for (let oldest = this.inFlight[0]; oldest; oldest = this.inFlight[0]) {
      await oldest.answered;
      this.inFlight.shift();
      this.shipped(oldest.batch);
    }
  }

  private throwFailure(): void {
    const failure = this.failure;
    this.failure = undefined;
    if (failure) throw failure;
  }

  private confirmDue(): boolean {
    return (
      this.shippedSinceConfirm >= this.confirmEveryBytes ||
      Date.now() - this.lastConfirmAt >= this.confirmEveryMs ||
      this.mirror.extentsWanted ||
      this.queue.journalFreedByConfirm >= 0.25
    );
  }

  /**
   * Whether `batch` may go now, beside those in flight: room, no discard (an UNMAP may take
   * several commands, not one ORDERED head), and not across a barrier while a change being
   * written locally could still join it (`grows`): each barrier costs a backup flush,
   * and with every write FUA, batches shipped at once were a write and a flush each.
   */
  private mayPipeline(batch: readonly QueuedChange[], grows: boolean): boolean {
    if (this.inFlight.length >= this.maxInFlight) return false;
    if (batch.some((c) => c.discard)) return false;
    if (this.inFlight.length > 0 && grows && this.acrossBarrier(batch)) return false;
    return this.inFlight.length === 0 || this.inFlight.reduce((n, f) => n + f.bytes, bytesOf(batch)) <= this.pipelineBytes();
  }

  /** Whether a host barrier lies between `batch` and what the backup was sent before it (a batch may span barriers: its newest change's epoch counts). */
  private acrossBarrier(batch: readonly QueuedChange[]): boolean {
    return this.inFlight.length > 0 ? batch.at(-1)!.epoch !== this.inFlightEpoch : this.needsBackupFlush(batch);
  }

  /** Whether the backup must make what it holds durable before `batch`: a host barrier lies between them. */
  private needsBackupFlush(batch: readonly QueuedChange[]): boolean {
    return this.unflushedEpoch !== undefined && this.unflushedEpoch !== batch.at(-1)!.epoch;
  }

  private pipelineBytes(): number {
    return Math.max(this.maxPipelinedBytes, this.shippedRate.bytesPerSec / 4);
  }

  /**
   * Puts `batch` in flight behind the others, its first WRITE ORDERED when there are others.
   * Across a host barrier, behind an ORDERED flush and ORDERED itself: what came before the
   * barrier is durable on the backup before anything after it is written, without a round
   * trip between them (a FUA-heavy host puts a barrier between most batches).
   */
  private send(batch: QueuedChange[]): void {
    const barrier = this.acrossBarrier(batch);
    const ordered = barrier || this.inFlight.length > 0;
    this.inFlightEpoch = batch.at(-1)!.epoch;
    const answered = this.ship(batch, ordered, barrier);
    // Awaited in order by the loop, which sends no batch after a failed one (it learns at once, not when the failed one is the oldest).
    answered.catch((e: Error) => void (this.failure ??= e));
    this.inFlight.push({ batch, bytes: bytesOf(batch), answered });
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

  /** Sends `batch` (its first WRITE ORDERED if `ordered`, behind an ORDERED flush if `barrier`); resolves once the backup has it all. */
  private async ship(batch: QueuedChange[], ordered: boolean, barrier = false): Promise<void> {
    if (this.stopped) return;
    this.queue.sending(batch);
    const groups = shipGroups(batch, this.maxWriteBytes);
    // Issued strictly after the batch before it: the backup orders tasks as they arrive.
    const issued = this.issuing.then(() => issueGroups(groups, { ordered, barrier }, this.queue, this.link, this.maxScatteredBytes));
    this.issuing = issued.catch(() => undefined);
    await (await issued).answered;
  }

  /** The backup has `batch` (and every batch before it): its memory goes, it awaits confirmation. */
  private shipped(batch: QueuedChange[]): void {
    if (this.stopped) return;
    this.queue.shipped(batch);
    this.mirror.shipped(batch);
    this.unflushedEpoch = batch.at(-1)!.epoch;
    this.shippedBatches++;
    const bytes = bytesOf(batch);
    this.shippedSinceConfirm += bytes;
    this.awaitingConfirm += batch.length;
    this.shippedRate.add(bytes);
  }

  /** How long the queue has had nothing to send with no change queued since (from when the loop first found it so). */
  private quietFor(): number {
    const now = Date.now();
    const seq = this.queue.newestSeq;
    if (this.quietMark?.seq !== seq) this.quietMark = { seq, at: now };
    return now - this.quietMark.at;
  }

  private confirmLater(ms: number): void {
    if (this.confirmTimer) return;
    this.confirmTimer = setTimeout(() => {
      this.confirmTimer = undefined;
      this.kick();
    }, Math.max(1, ms));
    this.confirmTimer.unref();
  }

  private startConfirm(): void {
    this.confirming = this.confirm()
      .catch((e: Error) => void (this.failure ??= e))
      .finally(() => {
        this.confirming = undefined;
        // A loop waiting for it goes on.
        this.waker.now();
      });
  }

  /** Both copies durable: the changes shipped by now leave the queue. */
  private async confirm(): Promise<void> {
    const shipped = this.queue.shippedPrefix;
    this.lastConfirmAt = Date.now();
    this.shippedSinceConfirm = 0;
    this.awaitingConfirm = 0;
    await Promise.all([this.flushBackup(), this.local.flush()]);
    // A closed engine's shutdown hands the queue over as it stands.
    if (this.stopped) return;
    await this.queue.confirmShipped(shipped, this.mirror.confirmed);
  }

  private async flushBackup(): Promise<void> {
    const shipped = this.shippedBatches;
    await this.link.flush();
    // A batch recorded shipped meanwhile may have been answered after the flush began.
    if (this.shippedBatches === shipped) this.unflushedEpoch = undefined;
  }
}
