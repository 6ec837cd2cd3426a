/**
 * Which queued changes go to the backup together (SendQueue.nextBatch): applied, in queue
 * order, none acknowledged to the host before another in the batch arrived, none overlapping
 * another — so any subset the backup holds is a state the host could have seen.
 *
 * A batch may span host barriers (epochs: a flush issued, a FUA write acknowledged). What a
 * change depends on is every change acknowledged before it arrived; none of those is in its
 * batch, so all are in earlier ones, and one backup flush ahead of the batch orders it after
 * them all. With every write FUA, every acknowledgement is a barrier: a batch per epoch was
 * one or two writes, each behind a backup flush; this way a batch holds the writes the host
 * had in flight together, as without FUA (the power-loss property checks the durability).
 */
import type { QueuedChange } from './queued-change.js';

export interface PickedBatch {
  batch: QueuedChange[];
  /** It stopped at a change it would take once applied (still being written locally). */
  grows: boolean;
}

/** `unsent`: the changes not yet sent, in queue order; `wall`: a marked point's seq (nothing after it goes before the point). */
export function pickBatch(unsent: Iterable<QueuedChange>, wall: number, maxChanges: number, maxBytes: number): PickedBatch {
  const batch: QueuedChange[] = [];
  let bytes = 0;
  for (const c of unsent) {
    if (c.seq > wall) break;
    if (batch.length > 0) {
      if (batch.length >= maxChanges || c.ackedBefore >= batch[0]!.seq || bytes + (c.discard ? 0 : c.length) > maxBytes) break;
      if (overlapsAny(batch, c)) break;
    }
    if (!c.applied) return { batch, grows: batch.length > 0 };
    batch.push(c);
    bytes += c.discard ? 0 : c.length;
  }
  return { batch, grows: false };
}

// A loop, not Array.some: a closure per change picked, and every host write is picked once.
function overlapsAny(batch: readonly QueuedChange[], c: QueuedChange): boolean {
  for (const b of batch) if (b.offset < c.offset + c.length && c.offset < b.offset + b.length) return true;
  return false;
}
