/**
 * How a batch of queued changes goes on the wire: contiguous ones merged into one WRITE
 * (up to the backup's MaxBurstLength), discards into one UNMAP range.
 */
import type { QueuedChange } from './send-queue.js';

/** What one WRITE (or UNMAP) to the backup carries: contiguous changes of one batch. */
export interface ShipGroup {
  offset: number;
  length: number;
  discard: boolean;
  changes: QueuedChange[];
}

/** Contiguous changes of one batch, merged up to `maxGroupBytes` (one WRITE each). */
export function shipGroups(batch: readonly QueuedChange[], maxGroupBytes: number): ShipGroup[] {
  const sorted = [...batch].sort((a, b) => a.offset - b.offset);
  const groups: ShipGroup[] = [];
  for (const c of sorted) {
    const last = groups[groups.length - 1];
    if (last && last.discard === c.discard && last.offset + last.length === c.offset && (c.discard || last.length + c.length <= maxGroupBytes)) {
      last.length += c.length;
      last.changes.push(c);
    } else groups.push({ offset: c.offset, length: c.length, discard: c.discard, changes: [c] });
  }
  return groups;
}
