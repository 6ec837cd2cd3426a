/** A backup device's allocation as a GET LBA STATUS answer would carry it, for the test links. */
import type { BlockDevice } from '../../src/block/device.js';
import type { AllocationExtent } from '../../src/replication/replica-link.js';

/** Extents per answer, as a Tandem target gives at most (MAX_LBA_STATUS_DESCRIPTORS). */
export const EXTENTS_PER_ANSWER = 64;

/** Consecutive extents of `device` from `offset`, at most `maxLength` bytes and `EXTENTS_PER_ANSWER` extents. */
export async function deviceExtents(device: Pick<BlockDevice, 'allocation' | 'size'>, offset: number, maxLength: number): Promise<AllocationExtent[]> {
  const end = Math.min(device.size, offset + maxLength);
  const out: AllocationExtent[] = [];
  for (let at = offset; at < end && out.length < EXTENTS_PER_ANSWER; ) {
    const a = await device.allocation(at, end - at);
    const length = Math.max(1, Math.min(a.length, end - at));
    const last = out[out.length - 1];
    if (last && last.mapped === a.mapped) last.length += length;
    else out.push({ offset: at, length, mapped: a.mapped });
    at += length;
  }
  return out;
}
