/**
 * Space: 100 points of a 1 GiB LUN with 1 MiB of scattered 4 KiB rewrites between each
 * cost at most 1.1 × the bytes rewritten (point-space.ts). The full figure, 16 MiB
 * between points, is point-space.slow.ts (`npm run test:slow`): the same code, 16 × the I/O.
 */
import { describe, expect, it } from 'vitest';
import { MIB, describeSpace, measureSpace } from './point-space.js';

describe('space taken by points', () => {
  it('100 points of a 1 GiB LUN, 1 MiB rewritten between each: allocated ≤ 1.1 × rewritten', async () => {
    const f = await measureSpace(100, 1 * MIB);
    console.log(describeSpace(f));
    expect(f.heldBytes).toBe(f.rewrittenBytes);
    expect(f.ratio).toBeLessThanOrEqual(1.1);
  }, 300_000);
});
