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

/**
 * The groups as commands, in order: a discard or a large group alone (an UNMAP, a WRITE),
 * small writes packed into WRITE SCATTERED commands of at most `maxRanges` groups and
 * `maxBytes` of data (a pack of one goes as a plain WRITE). `maxRanges` 0: one command
 * per group. One command and one answer for many small writes saves the backup as much
 * work per write as it saves us.
 */
export function packCommands(groups: readonly ShipGroup[], maxRanges: number, maxBytes: number): ShipGroup[][] {
  const commands: ShipGroup[][] = [];
  let pack: ShipGroup[] = [];
  let packBytes = 0;
  for (const g of groups) {
    if (maxRanges < 2 || g.discard || g.length * 2 > maxBytes) {
      commands.push([g]);
      continue;
    }
    if (pack.length >= maxRanges || packBytes + g.length > maxBytes) {
      commands.push(pack);
      pack = [];
      packBytes = 0;
    }
    pack.push(g);
    packBytes += g.length;
  }
  if (pack.length > 0) commands.push(pack);
  return commands;
}

/** The data bytes of a batch (a discard sends none). */
export function bytesOf(batch: readonly QueuedChange[]): number {
  let bytes = 0;
  for (const c of batch) if (!c.discard) bytes += c.length;
  return bytes;
}
