/**
 * pickBatch says when a batch would grow by waiting (the shipper holds a batch across a host
 * barrier back for that while others are in flight): only when it stopped at a change still
 * being written locally that it would take once applied — not at the queue's end, at a
 * change that depends on one in the batch, at an overlap, at a size limit or at a point.
 */
import { describe, expect, it } from 'vitest';
import { pickBatch } from '../../../src/replication/batch-picker.js';
import type { QueuedChange } from '../../../src/replication/queued-change.js';

let nextSeq = 1;
/** A queued write of one 512-byte block; `ackedBefore` defaults to nothing acknowledged. */
function change(block: number, options: { applied?: boolean; ackedBefore?: number; epoch?: number } = {}): QueuedChange {
  return {
    seq: nextSeq++,
    offset: block * 512,
    length: 512,
    discard: false,
    data: undefined,
    hold: undefined,
    drop: undefined,
    spilled: undefined,
    ackedBefore: options.ackedBefore ?? 0,
    epoch: options.epoch ?? 0,
    at: 0,
    applied: options.applied ?? true,
    shipped: false,
  };
}

const NO_WALL = Number.MAX_SAFE_INTEGER;

describe('pickBatch', () => {
  it('grows: stopped at a change being written locally that would join', () => {
    const [a, b, c] = [change(0, { epoch: 1 }), change(1, { epoch: 2 }), change(2, { applied: false, epoch: 3 })];
    expect(pickBatch([a, b, c], NO_WALL, 16, Infinity)).toEqual({ batch: [a, b], grows: true });
  });

  it('does not grow at the end of the queue, at a dependent or overlapping change, at a limit or at a point', () => {
    const a = change(0);
    const b = change(1);
    expect(pickBatch([a, b], NO_WALL, 16, Infinity)).toEqual({ batch: [a, b], grows: false });
    // Arrived after `a` was acknowledged: it waits for a batch of its own, applied or not.
    const dependent = change(2, { applied: false, ackedBefore: a.seq });
    expect(pickBatch([a, b, dependent], NO_WALL, 16, Infinity)).toEqual({ batch: [a, b], grows: false });
    const overlapping = change(0, { applied: false });
    expect(pickBatch([a, b, overlapping], NO_WALL, 16, Infinity)).toEqual({ batch: [a, b], grows: false });
    const pending = change(3, { applied: false });
    expect(pickBatch([a, b, pending], NO_WALL, 2, Infinity)).toEqual({ batch: [a, b], grows: false });
    expect(pickBatch([a, b, pending], NO_WALL, 16, 1024)).toEqual({ batch: [a, b], grows: false });
    expect(pickBatch([a, b, pending], b.seq, 16, Infinity)).toEqual({ batch: [a, b], grows: false });
  });

  it('an unapplied head is no batch, and nothing to grow', () => {
    expect(pickBatch([change(0, { applied: false }), change(1)], NO_WALL, 16, Infinity)).toEqual({ batch: [], grows: false });
  });
});
