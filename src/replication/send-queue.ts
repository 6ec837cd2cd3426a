/**
 * Continuous asynchronous mirroring's ordered send queue: every host change in the order
 * the host saw it acknowledged, holding a reference to the host's buffer (no copy) until
 * the change is shipped or spilled; once shipped, only its range is kept (a RangeLedger)
 * until the backup and the local image both hold it durably (then its activity-log
 * extents may cool). Bounded: past `memoryBytes` the oldest
 * changes not yet shipped spill to the staging journal (seed 002's non-volatile FIFO), and
 * a change the journal cannot take either is refused (the engine folds the queue into the
 * delta table).
 *
 * The host's buffer is pooled memory the target reuses once the write is acknowledged, so
 * the queue keeps it under the write's hold (BlockDevice.write): the queue's own reference
 * goes when the change is shipped, spilled, withdrawn or drained, and whoever reads the
 * bytes meanwhile (a spill, a shipment) holds them too until it is done. A change queued
 * without a hold is copied, and so is one whose bytes are a small part of a larger buffer
 * (queue-copies.ts).
 */
import type { PointMarker } from '../replica-protocol/index.js';
import type { BufferHold } from '../util/buffer-pool.js';
import { indexAbove } from '../util/sorted-index.js';
import type { JournalEntry, StagingJournal } from './staging-journal.js';
import { QueueFullError } from './queue-errors.js';
import { keepBytes } from './queue-copies.js';
import { QueuedPoints } from './queued-points.js';
import { RangeLedger } from './range-ledger.js';
import { DEFAULT_QUEUE_MEMORY, type ChangeData, type QueuedChange } from './queued-change.js';
import { pickBatch, type PickedBatch } from './batch-picker.js';

export { DEFAULT_QUEUE_MEMORY, type ChangeData, type QueuedChange };

const NOTHING = (): void => {};

const seqOf = (c: QueuedChange): number => c.seq;

export class SendQueue {
  /** The changes not yet shipped, in queue order. */
  private readonly entries: QueuedChange[] = [];
  /**
   * The changes shipped and not yet confirmed, in queue order (batches are shipped in queue
   * order, so they always precede the entries): their ranges, and for spilled ones the
   * journal sequence number as the tag.
   */
  private readonly shippedRanges = new RangeLedger();
  /** How many entries at the head are in flight (batches pipelined to the backup): the next batch starts after them. */
  private sentCount = 0;
  private nextSeq = 1;
  private ackedSeq = 0;
  private epoch = 0;
  /** A change was queued in the current epoch: a barrier starts a new one. */
  private epochUsed = false;
  private memory = 0;
  /** Bytes of changes queued and not yet confirmed (in memory, spilled or shipped). */
  private queuedBytes = 0;
  private spilling: Promise<void> | undefined;
  private shippedSpilledBytes = 0;
  private readonly points = new QueuedPoints();

  constructor(
    private readonly journal: StagingJournal,
    private readonly memoryBytes: number,
  ) {}

  /** The sequence number of the newest change queued (0: none yet): it moves with every change. */
  get newestSeq(): number {
    return this.nextSeq - 1;
  }

  /** Changes queued: not shipped, or shipped and not confirmed. */
  get length(): number {
    return this.entries.length + this.shippedRanges.length;
  }

  get bytes(): number {
    return this.queuedBytes;
  }

  get memoryUsed(): number {
    return this.memory;
  }

  /** Bytes of the staging journal in use (spilled changes not yet confirmed). */
  get spilledBytes(): number {
    return this.journal.usedBytes;
  }

  /** The journal's share a confirmation would free: spilled changes shipped since the last one. */
  get journalFreedByConfirm(): number {
    return this.shippedSpilledBytes / this.journal.capacity;
  }

  /** Memory plus journal: what the queue can hold in all. */
  get capacity(): number {
    return this.memoryBytes + this.journal.capacity;
  }

  /** What the queue occupies of its capacity: bytes in memory and journal space (not changes shipped from memory, which await only their confirmation). */
  get fill(): number {
    return (this.memory + this.journal.usedBytes) / this.capacity;
  }

  /** Changes not yet shipped (queued, spilled or in flight). */
  get unshippedCount(): number {
    return this.entries.length;
  }

  /**
   * The changes not yet shipped, in queue order. A spill awaits between two of them while
   * answered batches leave the head (or a failed change is withdrawn): the next one is found
   * by sequence number, not by a position that has moved.
   */
  private *unshipped(): Generator<QueuedChange> {
    for (let i = 0; i < this.entries.length; ) {
      const c = this.entries[i]!;
      yield c;
      i = indexAbove(this.entries, seqOf, c.seq);
    }
  }

  /** The changes not yet sent (not shipped, not in flight), in queue order. */
  private *unsent(): Generator<QueuedChange> {
    for (let i = this.sentCount; i < this.entries.length; i++) yield this.entries[i]!;
  }

  /** The changes not yet shipped, oldest first. */
  get changes(): readonly QueuedChange[] {
    return this.entries;
  }

  get oldestAt(): number | undefined {
    return this.shippedRanges.oldestAt ?? this.entries[0]?.at;
  }

  /** When the oldest change the backup does not have yet was queued. */
  get oldestUnshippedAt(): number | undefined {
    return this.entries[0]?.at;
  }

  /** Whether a change of `bytes` can be queued now (memory, else the journal). */
  fits(bytes: number): boolean {
    return this.memory + bytes <= this.memoryBytes || this.journal.fits(bytes);
  }

  /** `hold`: lets the queue keep `data` itself (BlockDevice.write); without one it keeps a copy. */
  push(offset: number, length: number, data: Buffer | undefined, at: number, hold?: BufferHold): QueuedChange {
    const change: QueuedChange = { seq: this.nextSeq++, offset, length, discard: data === undefined, data: undefined, hold: undefined, drop: undefined, spilled: undefined, ackedBefore: this.ackedSeq, epoch: this.epoch, at, applied: false, shipped: false };
    if (data) keepBytes(change, data, hold);
    this.entries.push(change);
    this.epochUsed = true;
    const bytes = data?.length ?? 0;
    this.memory += bytes;
    this.queuedBytes += bytes;
    return change;
  }

  /**
   * Changes a clean shutdown spilled, queued again in their order. Each waits for all
   * before it, durably (a batch and an epoch of its own): the host's concurrency and
   * barriers are not known any more.
   */
  restore(spilled: readonly JournalEntry[], at: number): QueuedChange[] {
    const restored = spilled.map((e) => {
      const change: QueuedChange = { seq: this.nextSeq, offset: e.offset, length: e.length, discard: e.discard, data: undefined, hold: undefined, drop: undefined, spilled: e, ackedBefore: this.nextSeq - 1, epoch: ++this.epoch, at, applied: true, shipped: false };
      this.epochUsed = true;
      this.nextSeq++;
      this.ackedSeq = change.seq;
      this.entries.push(change);
      if (!e.discard) this.queuedBytes += e.length;
      return change;
    });
    // The shutdown made them durable before any new write existed: a barrier after the last.
    this.barrier();
    return restored;
  }

  /** A clean shutdown: changes go to the journal, durably, up to the first not applied locally (it may yet fail; the caller marks the rest). */
  async spillAll(): Promise<void> {
    const all = this.spillEvery(this.spilling);
    // A spill asked for meanwhile joins this one: two walks at once wrote some changes twice.
    const joined = all.then(NOTHING, NOTHING);
    this.spilling = joined;
    try {
      await all;
    } finally {
      if (this.spilling === joined) this.spilling = undefined;
    }
  }

  private async spillEvery(after: Promise<void> | undefined): Promise<void> {
    await after?.catch(() => undefined);
    for (const c of this.unshipped()) {
      if (!c.applied) break;
      if (!c.spilled && (c.data || c.discard)) await this.spillOne(c);
    }
    await this.journal.syncAll();
  }

  /** Writes the change's journal record; its bytes are held (read by the write) until it settles. */
  private async spillOne(c: QueuedChange): Promise<void> {
    const data = c.data;
    const bytes = data?.length ?? 0;
    if (!this.journal.fits(bytes)) throw new QueueFullError(bytes);
    const reading = c.hold?.retain();
    let entry: JournalEntry;
    try {
      entry = await this.journal.spill(c.offset, c.length, data, c.ackedBefore);
    } finally {
      reading?.();
    }
    c.spilled = entry;
    if (!c.shipped) return this.forget(c);
    // Shipped while its record was written, so no confirmation would trim it (left, a clean
    // restart replayed it over newer writes): trimmed now, with the records before it, all
    // of shipped changes. None needs its record: unconfirmed, a shutdown marks its range in
    // the delta table, and after a crash its activity-log extent is still hot.
    await this.journal.trimThrough(entry.seq);
  }

  /** Each change shipped but not confirmed durable on the backup (a shutdown that could not confirm them); `spilledSeq` 0: never spilled. */
  forEachUnconfirmed(fn: (offset: number, length: number, discard: boolean, spilledSeq: number) => void): void {
    this.shippedRanges.forEach(fn);
  }

  /** A change whose local write failed: it never happened, so it is never sent. */
  withdraw(change: QueuedChange): void {
    const i = this.entries.indexOf(change);
    if (i < 0) return;
    this.entries.splice(i, 1);
    if (i < this.sentCount) this.sentCount--;
    const bytes = change.discard ? 0 : change.length;
    this.queuedBytes -= bytes;
    this.forget(change);
  }

  /** The change is applied locally and acknowledged to the host. */
  acknowledged(change: QueuedChange): void {
    change.applied = true;
    if (change.seq > this.ackedSeq) this.ackedSeq = change.seq;
  }

  /**
   * Marks a recovery point after every change queued so far (the caller holds host
   * writes, so all of them are acknowledged): resolves once the backup has taken it.
   */
  markPoint(marker: PointMarker): Promise<void> {
    return this.points.mark(marker, this.nextSeq - 1);
  }

  /** The oldest marked point, once every change before it is shipped. */
  duePoint(): PointMarker | undefined {
    return this.points.due(this.entries[0]?.seq);
  }

  /** The backup took the due point (or refused it). */
  pointSent(error?: Error): void {
    this.points.sent(error);
  }

  /** Every marked point is dropped (folded into delta tracking, or a shutdown). */
  dropPoints(reason: string): void {
    this.points.dropAll(reason);
  }

  /** The host issued a flush, or a FUA write was acknowledged: changes from now on come after a barrier. */
  barrier(): void {
    if (!this.epochUsed) return;
    this.epoch++;
    this.epochUsed = false;
  }

  /** Moves the oldest unshipped changes held in memory to the journal while memory is over its bound. */
  spill(): Promise<void> {
    if (this.spilling) return this.spilling;
    const run = this.spillNow().finally(() => {
      if (this.spilling === run) this.spilling = undefined;
    });
    return (this.spilling = run);
  }

  private async spillNow(): Promise<void> {
    for (const c of this.unshipped()) {
      if (this.memory <= this.memoryBytes) return;
      if (c.spilled) continue;
      // In queue order only, so the journal's order is the queue's (a confirmed prefix trims a prefix of it).
      if (!c.applied) return;
      // A discard goes too, in its place: stopping at it kept every write behind it in memory while it waited.
      if (c.data || c.discard) await this.spillOne(c);
    }
  }

  /** The next changes that may go to the backup together (batch-picker.ts). */
  nextBatch(maxChanges: number, maxBytes: number): QueuedChange[] {
    return this.pickNext(maxChanges, maxBytes).batch;
  }

  /** nextBatch, and whether it would take more once a change being written locally is applied. */
  pickNext(maxChanges: number, maxBytes: number): PickedBatch {
    return pickBatch(this.unsent(), this.points.wall, maxChanges, maxBytes);
  }

  /**
   * The change's bytes, from memory or the journal, lent to the sender until it calls
   * `done` (taken at the call: a spill may drop the queue's own reference meanwhile). A
   * sender whose write failed never calls it: the link may still send the bytes later.
   */
  async dataOf(change: QueuedChange): Promise<ChangeData | undefined> {
    if (change.discard) return undefined;
    return this.lendHeld(change) ?? { data: await this.journal.readData(change.spilled!), done: NOTHING };
  }

  /** The change's bytes lent as dataOf does when the queue holds them in memory; undefined when they are only in the journal. */
  lendHeld(change: QueuedChange): ChangeData | undefined {
    return change.data && { data: change.data, done: this.holdHeld(change) };
  }

  /** Holds the bytes the queue has in memory for `change` (its `data`) until the returned function is called: lendHeld without a record (every shipped change passes here). */
  holdHeld(change: QueuedChange): () => void {
    return change.hold ? change.hold.retain() : NOTHING;
  }

  /** The batch (the last nextBatch) is on its way: the next batch starts after it. */
  sending(batch: readonly QueuedChange[]): void {
    if (batch.length > 0 && batch[0] !== this.entries[this.sentCount]) throw new Error('a batch is sent in queue order, from the first unsent change');
    this.sentCount += batch.length;
  }

  /** The batches in flight failed: whatever is not shipped is to be sent again. */
  unsend(): void {
    this.sentCount = 0;
  }

  /** The batch reached the backup (applied there, not yet durable): its memory can go, its range is kept. */
  shipped(batch: readonly QueuedChange[]): void {
    for (const c of batch) {
      c.shipped = true;
      if (c.spilled && !c.discard) this.shippedSpilledBytes += c.length;
      this.forget(c);
    }
    let n = 0;
    for (; n < this.entries.length && this.entries[n]!.shipped; n++) {
      const c = this.entries[n]!;
      this.shippedRanges.push(c.offset, c.length, c.discard, c.at, c.spilled?.seq ?? 0);
    }
    this.entries.splice(0, n);
    this.sentCount -= n;
  }

  /** How many changes are shipped and not confirmed: a confirmation started now covers them. */
  get shippedPrefix(): number {
    return this.shippedRanges.length;
  }

  /**
   * The backup and the local image hold the oldest `count` shipped changes durably (those
   * shipped when the confirmation began; more may have been shipped since): they leave the
   * queue, spilled ones leave the journal; `confirmed` gets each one's range.
   */
  async confirmShipped(count = this.shippedRanges.length, confirmed?: (offset: number, length: number) => void): Promise<void> {
    let lastSpilled = 0;
    this.shippedRanges.forEach((offset, length, discard, spilledSeq) => {
      if (!discard) this.queuedBytes -= length;
      if (spilledSeq > 0) {
        if (!discard) this.shippedSpilledBytes -= length;
        lastSpilled = Math.max(lastSpilled, spilledSeq);
      }
      confirmed?.(offset, length);
    }, count);
    this.shippedRanges.shift(count);
    if (lastSpilled > 0) await this.journal.trimThrough(lastSpilled);
  }

  /**
   * Everything queued leaves (the engine marks it in the delta table instead): the changes
   * not shipped, and the ranges of those shipped but not confirmed.
   */
  async drainAll(): Promise<{ unshipped: QueuedChange[]; unconfirmed: RangeLedger }> {
    this.dropPoints('mirroring left continuous mode before the backup took it');
    await this.spilling?.catch(() => undefined);
    const all = this.entries.splice(0);
    const unconfirmed = this.shippedRanges.takeAll();
    this.sentCount = 0;
    this.shippedSpilledBytes = 0;
    for (const c of all) this.forget(c);
    this.memory = 0;
    this.queuedBytes = 0;
    await this.journal.trimThrough(this.journal.lastSeq);
    return { unshipped: all, unconfirmed };
  }

  /** The queue no longer has the change's bytes in memory: its reference to the host's buffer goes. */
  private forget(c: QueuedChange): void {
    if (c.data) this.memory -= c.data.length;
    c.data = undefined;
    c.hold = undefined;
    const drop = c.drop;
    c.drop = undefined;
    drop?.();
  }
}
