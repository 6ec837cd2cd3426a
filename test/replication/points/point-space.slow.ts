/**
 * The space target at full size: 100 points of a 1 GiB LUN with 16 MiB of scattered
 * 4 KiB rewrites between consecutive points cost at most 1.1 × the bytes rewritten
 * (1600 MiB of copy-on-write: minutes of I/O, hence the slow suite).
 */
import { describe, expect, it } from 'vitest';
import { MIB, describeSpace, measureSpace } from './point-space.js';

describe('space taken by points (full size)', () => {
  it('100 points of a 1 GiB LUN, 16 MiB rewritten between each: allocated ≤ 1.1 × rewritten', async () => {
    const f = await measureSpace(100, 16 * MIB);
    console.log(describeSpace(f));
    expect(f.heldBytes).toBe(f.rewrittenBytes);
    expect(f.ratio).toBeLessThanOrEqual(1.1);
  }, 1_800_000);
});
