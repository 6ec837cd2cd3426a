/**
 * What the send queue keeps of a change's bytes until it is shipped: the host's buffer under
 * its hold, or a copy. A copy is made when there is no hold, or when the bytes are a small
 * view of a larger buffer (a small write inside the 64 KiB socket read it arrived in: kept
 * as a view, the whole read would stay in memory while the queue's bound counted only the
 * change's bytes).
 *
 * Copies come from a pool of their own and go back to it once neither the queue nor a
 * sender reads them: a fresh buffer per copy is memory the collector counts against its
 * old generation until a full collection frees it (a copy outlives young-generation
 * collections while it waits to ship). Size classes from 512 bytes keep a copy within twice
 * its bytes.
 */
import { BufferPool, type BufferHold } from '../util/buffer-pool.js';

const copies = new BufferPool({ minBytes: 512, maxBytes: 1024 * 1024, maxIdleBytes: 16 * 1024 * 1024 });

/** The part of a queued change that keeps its bytes. */
export interface KeptBytes {
  data: Buffer | undefined;
  /** Whoever reads `data` while the queue keeps it retains this (a spill, a shipment). */
  hold: BufferHold | undefined;
  /** Drops the queue's own reference. */
  drop: (() => void) | undefined;
}

/** Fills in what `into` keeps of `data` (its fields, not an object per change: every host write passes here). */
export function keepBytes(into: KeptBytes, data: Buffer, hold: BufferHold | undefined): void {
  if (hold && data.buffer.byteLength < 2 * data.length) {
    into.data = data;
    into.hold = hold;
    into.drop = hold.retain();
    return;
  }
  const copy = copies.take(data.length);
  data.copy(copy.buffer);
  into.data = copy.buffer;
  into.hold = copy;
  into.drop = () => copy.release();
}
