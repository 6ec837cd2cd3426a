/**
 * Continuous asynchronous mirroring's write path: the op's record is made durable in the
 * staging journal, then applied locally, and the host is answered; the JournalShipper
 * sends it later. Keeps the bookkeeping of entries not yet shipped: which are applied
 * locally (the shipper only takes those), when each was appended (recovery-point age),
 * and the journal's redundancy and inflow (switching criteria).
 */
import type { BlockDevice } from '../block/device.js';
import { applyLocally, type HostOp, type WritePath } from './host-op.js';
import { RateMeter } from './rate-meter.js';
import { RedundancyTracker } from './redundancy-tracker.js';
import type { JournalEntry, StagingJournal } from './staging-journal.js';

const MAX_SHIP_BATCH = 64;
const MAX_SHIP_BATCH_BYTES = 8 * 1024 * 1024;

export interface AsyncMirrorHooks {
  /** The op does not fit the journal: the engine leaves continuous mirroring and takes it another way. */
  whenFull(op: HostOp): Promise<void>;
  /** After each append, with the journal's fill fraction (a tick would come too late at high rates). */
  appended(fill: number): void;
  /** An entry is applied locally and may be shipped. */
  shippable(): void;
}

export class AsyncMirror implements WritePath {
  readonly redundancy: RedundancyTracker;
  readonly inflow = new RateMeter();
  /** Entries whose local write finished, contiguously from the oldest: the shipper takes only those. */
  private appliedThrough: number;
  private readonly applied = new Set<number>();
  private ackedSeq: number;
  /** Append times of unshipped entries, oldest first, as [seq, at]. */
  private readonly pendingTimes: Array<[number, number]> = [];

  constructor(
    private readonly local: BlockDevice,
    private readonly journal: StagingJournal,
    chunkSize: number,
    private readonly clock: () => number,
    private readonly hooks: AsyncMirrorHooks,
  ) {
    this.redundancy = new RedundancyTracker(chunkSize);
    this.appliedThrough = journal.lastSeq;
    this.ackedSeq = journal.lastSeq;
    for (const e of journal.pending()) if (!e.discard) this.redundancy.add(e.offset, e.length);
  }

  async apply(op: HostOp): Promise<void> {
    const bytes = op.data?.length ?? 0;
    if (!this.journal.fits(bytes)) return this.hooks.whenFull(op);
    const entry = op.data ? await this.journal.append(op.offset, op.data, this.ackedSeq) : await this.journal.appendDiscard(op.offset, op.length, this.ackedSeq);
    this.hooks.appended(this.journal.fill);
    this.pendingTimes.push([entry.seq, this.clock()]);
    // A discard sends no data: it counts for neither the redundancy nor the inflow rate.
    if (op.data) {
      this.redundancy.add(op.offset, bytes);
      this.inflow.add(bytes);
    }
    // The journal already makes the change durable; FUA needs nothing more locally.
    await applyLocally(this.local, op, false);
    this.markApplied(entry.seq);
    if (entry.seq > this.ackedSeq) this.ackedSeq = entry.seq;
    this.hooks.shippable();
  }

  /**
   * Entries that may go to the backup together: none was acknowledged to the host before
   * another in the batch arrived, and none overlaps another, so any subset the backup
   * holds after a crash is still a state the host could have seen.
   */
  nextBatch(): JournalEntry[] {
    const candidates = this.journal.peekDurable(MAX_SHIP_BATCH);
    const batch: JournalEntry[] = [];
    let bytes = 0;
    for (const e of candidates) {
      if (e.seq > this.appliedThrough) break;
      if (batch.length > 0) {
        if (e.ackedBefore >= batch[0]!.seq || bytes + e.length > MAX_SHIP_BATCH_BYTES) break;
        if (batch.some((b) => b.offset < e.offset + e.length && e.offset < b.offset + b.length)) break;
      }
      batch.push(e);
      bytes += e.length;
    }
    return batch;
  }

  /** The batch is durable on the backup (and trimmed from the journal). */
  shipped(batch: readonly JournalEntry[]): void {
    this.forgetPendingThrough(batch[batch.length - 1]!.seq);
    for (const e of batch) if (!e.discard) this.redundancy.remove(e.offset, e.length);
  }

  /** The journal was folded into the delta table: nothing is pending any more. Returns when the oldest folded entry was appended. */
  folded(): number | undefined {
    const oldest = this.oldestPendingAt;
    this.pendingTimes.length = 0;
    this.redundancy.clear();
    return oldest;
  }

  get oldestPendingAt(): number | undefined {
    return this.pendingTimes[0]?.[1];
  }

  private markApplied(seq: number): void {
    this.applied.add(seq);
    while (this.applied.delete(this.appliedThrough + 1)) this.appliedThrough++;
  }

  private forgetPendingThrough(seq: number): void {
    let n = 0;
    while (n < this.pendingTimes.length && this.pendingTimes[n]![0] <= seq) n++;
    if (n > 0) this.pendingTimes.splice(0, n);
  }
}
