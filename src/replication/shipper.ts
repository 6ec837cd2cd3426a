/**
 * Sends the send queue to the backup, batch after batch: each batch's changes were in
 * flight on the host together and do not overlap (so any part of a batch the backup holds
 * is a state the host could have seen), contiguous ones merged into one WRITE, small
 * scattered ones packed into WRITE SCATTERED commands, all of a batch in flight at once.
 * Several batches are in flight together (a round trip per batch would cap the rate at the
 * link's latency, not the backup's speed): each one's first WRITE carries the ORDERED task
 * attribute, so the backup starts a batch only once the batches before it have completed,
 * and aborts it if one of them failed. Batches with a discard, and the first batch after a
 * barrier, go alone. The backup is flushed only where the host put a barrier (a flush, a
 * FUA write) between two batches, so after a power loss it holds what the primary's own
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
import { RateMeter } from './rate-meter.js';
import { peerRefused, type ReplicaLink } from './replica-link.js';
import type { ChangeData, QueuedChange, SendQueue } from './send-queue.js';
import { packCommands, shipGroups, type ShipGroup } from './ship-groups.js';

export interface ShipperOptions {
  /** Changes per batch (default 256). */
  maxBatch?: number;
  /** Bytes per batch (default 16 MiB). */
  maxBatchBytes?: number;
  /** Bytes per merged WRITE: the backup's MaxBurstLength (default 1 MiB). */
  maxWriteBytes?: number;
  /** Confirm at least this often while changes keep coming (default 5 s). */
  confirmEveryMs?: number;
  /** Confirm after this many bytes shipped (default 256 MiB). */
  confirmEveryBytes?: number;
  /**
   * With nothing left to send, confirm once no change has been queued for this long
   * (default 100 ms): after a burst, not between two writes of a steady stream — a
   * stream the shipper keeps up with empties the queue again and again, and a flush pair
   * each time kept a sync in flight on the primary nearly half the time (measured).
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
   * Bytes a batch may join the pipeline with, counting those already in flight (default
   * 2 MiB, or what the link ships in a quarter of a second when that is more; a batch
   * alone may be larger): on a slow link everything in flight must land before a switch
   * to delta mode can fold the queue, on a fast one the pipeline must cover the backup's
   * latency under load.
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
  /** Batches sent and not yet answered, oldest first; all of one epoch. */
  private readonly inFlight: Array<{ batch: QueuedChange[]; bytes: number; answered: Promise<void> }> = [];
  private inFlightEpoch = 0;
  /** Batches' WRITEs are issued one batch after another, in queue order (a spilled change's bytes are read first). */
  private issuing: Promise<unknown> = Promise.resolve();
  /** Set while the loop waits for the oldest answer: new changes wake it. */
  private wake: (() => void) | undefined;

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
    this.confirmEveryMs = options.confirmEveryMs ?? 5000;
    this.confirmEveryBytes = options.confirmEveryBytes ?? 256 * 1024 * 1024;
    this.confirmIdleMs = options.confirmIdleMs ?? 100;
    this.maxInFlight = Math.max(1, options.maxBatchesInFlight ?? 64);
    this.maxScatteredBytes = options.maxScatteredBytes ?? 60 * 1024;
    this.maxPipelinedBytes = options.maxPipelinedBytes ?? 2 * 1024 * 1024;
    this.lastConfirmAt = Date.now();
  }

  kick(): void {
    // A loop waiting for an answer looks again: the new change may join the pipeline.
    if (this.running) return this.wake?.();
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
        const batch = this.queue.nextBatch(this.maxBatch, this.maxBatchBytes);
        if (batch.length > 0 && this.mayPipeline(batch)) {
          this.send(batch);
          continue;
        }
        // The pipeline is full, or the next batch must go alone: wait for the oldest answer.
        const oldest = this.inFlight[0];
        if (oldest) {
          const woken = new Promise<false>((resolve) => (this.wake = () => resolve(false)));
          const answered = await Promise.race([oldest.answered.then(() => true), woken]).finally(() => (this.wake = undefined));
          if (!answered) continue;
          // In order, and none after a failure: the backup holds a prefix of what is recorded shipped.
          this.inFlight.shift();
          this.shipped(oldest.batch);
          continue;
        }
        if (batch.length > 0) {
          await this.ship(batch, false);
          this.shipped(batch);
        } else if (await this.shipPoint()) continue;
        if (this.stopped) return undefined;
        const idle = batch.length === 0;
        // Nothing left to send at all, not just a change still being applied locally at the head (that is load).
        const quiet = idle && this.queue.unshippedCount === 0;
        const quietMs = quiet ? this.quietFor() : 0;
        // Confirm under load only now and then; once the host pauses, soon (a drain: at once).
        if (this.awaitingConfirm > 0 && (this.confirmDue() || (quiet && quietMs >= this.confirmIdleMs) || (idle && draining))) await this.confirm();
        else if (this.awaitingConfirm > 0 && quiet) this.confirmLater(this.confirmIdleMs - quietMs);
        if (idle) return undefined;
      }
      // No longer wanted (the engine leaves continuous mirroring): what is in flight lands first,
      // so nothing shipped arrives after whatever the engine sends next. A closed engine does not wait.
      if (!this.stopped) await this.settleInFlight();
      return undefined;
    } catch (e) {
      // Whatever was in flight is answered (or failed) before the queue is told to send it again.
      await Promise.allSettled(this.inFlight.splice(0).map((f) => f.answered));
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

  private confirmDue(): boolean {
    return (
      this.shippedSinceConfirm >= this.confirmEveryBytes ||
      Date.now() - this.lastConfirmAt >= this.confirmEveryMs ||
      this.mirror.extentsWanted ||
      this.queue.journalFreedByConfirm >= 0.25
    );
  }

  /**
   * Whether `batch` may go now, beside the batches in flight: room in the pipeline, no
   * confirmation due, no discard (an UNMAP may take several commands, not one ORDERED
   * head), and no flush needed before it (same epoch as those in flight, or as what the
   * backup holds unflushed).
   */
  private mayPipeline(batch: readonly QueuedChange[]): boolean {
    if (this.inFlight.length >= this.maxInFlight) return false;
    if (this.awaitingConfirm > 0 && this.confirmDue()) return false;
    if (batch.some((c) => c.discard)) return false;
    const epoch = batch[0]!.epoch;
    if (this.inFlight.length > 0) return epoch === this.inFlightEpoch && this.inFlight.reduce((n, f) => n + f.bytes, bytesOf(batch)) <= this.pipelineBytes();
    return this.unflushedEpoch === undefined || this.unflushedEpoch === epoch;
  }

  private pipelineBytes(): number {
    return Math.max(this.maxPipelinedBytes, this.shippedRate.bytesPerSec / 4);
  }

  /** Puts `batch` in flight behind the others (its first WRITE ORDERED when there are others). */
  private send(batch: QueuedChange[]): void {
    const ordered = this.inFlight.length > 0;
    this.inFlightEpoch = batch[0]!.epoch;
    const answered = this.ship(batch, ordered);
    // Awaited in order by the loop; a failure meanwhile must not count as unhandled.
    answered.catch(() => undefined);
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

  /** Sends `batch` (its first WRITE ORDERED if `ordered`); resolves once the backup has it all. */
  private async ship(batch: QueuedChange[], ordered: boolean): Promise<void> {
    if (this.stopped) return;
    this.queue.sending(batch);
    // Across a host barrier, what the backup holds from before it is made durable first (only with nothing in flight: see mayPipeline).
    if (this.unflushedEpoch !== undefined && this.unflushedEpoch !== batch[0]!.epoch) await this.flushBackup();
    const groups = shipGroups(batch, this.maxWriteBytes);
    // Issued strictly after the batch before it: the backup orders tasks as they arrive.
    const issued = this.issuing.then(() => this.issue(groups, ordered));
    this.issuing = issued.catch(() => undefined);
    await (await issued).answered;
  }

  /** The backup has `batch` (and every batch before it): its memory goes, it awaits confirmation. */
  private shipped(batch: QueuedChange[]): void {
    if (this.stopped) return;
    this.queue.shipped(batch);
    this.mirror.shipped(batch);
    this.unflushedEpoch = batch[0]!.epoch;
    const bytes = bytesOf(batch);
    this.shippedSinceConfirm += bytes;
    this.awaitingConfirm += batch.length;
    this.shippedRate.add(bytes);
  }

  /**
   * Reads the groups' bytes, then issues their commands in one go, the first ORDERED if asked.
   * Resolves once they are issued (the next batch may follow) with `answered`, the backup's
   * answers: held in an object, since an async function's promise would wait for a bare one.
   */
  private async issue(groups: ShipGroup[], ordered: boolean): Promise<{ answered: Promise<unknown> }> {
    const lent = new Map<ShipGroup, ChangeData[]>();
    await Promise.all(groups.map(async (g) => g.discard || lent.set(g, await Promise.all(g.changes.map(async (c) => (await this.queue.dataOf(c))!)))));
    const commands = packCommands(groups, this.link.scatteredRanges ?? 0, this.maxScatteredBytes);
    const sends = commands.map((command, i) => {
      const first = ordered && i === 0;
      const g = command[0]!;
      if (command.length > 1) {
        const parts = command.map((c) => lent.get(c)!);
        const writes = command.map((c, j) => ({ offset: c.offset, data: joined(parts[j]!, c.length) }));
        return this.link.writeScattered!(writes, first).then(() => parts.forEach(giveBack));
      }
      if (g.discard) return this.link.discard(g.offset, g.length);
      // One change: its own buffer, no copy (several contiguous ones: one WRITE of a copy).
      // Given back only once the backup has it: after a failure (a timed-out command) the
      // link may still send it later.
      const parts = lent.get(g)!;
      return this.link.write(joined(parts, g.length), g.offset, false, first).then(() => giveBack(parts));
    });
    return { answered: Promise.all(sends) };
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

/** A group's bytes as one buffer: the change's own when there is one. */
function joined(parts: readonly ChangeData[], length: number): Buffer {
  return parts.length === 1 ? parts[0]!.data : Buffer.concat(
    parts.map((p) => p.data),
    length,
  );
}

function giveBack(parts: readonly ChangeData[]): void {
  for (const p of parts) p.done();
}

function bytesOf(batch: readonly QueuedChange[]): number {
  let bytes = 0;
  for (const c of batch) if (!c.discard) bytes += c.length;
  return bytes;
}
