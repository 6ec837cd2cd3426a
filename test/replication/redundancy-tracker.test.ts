import { describe, expect, it } from 'vitest';
import { RedundancyTracker } from '../../src/replication/redundancy-tracker.js';

describe('redundancy ratio', () => {
  it('is continuous bytes over distinct chunks × chunk size, and follows trims', () => {
    const r = new RedundancyTracker(4096);
    for (let i = 0; i < 3; i++) r.add(2 * 4096, 4096); // block 2 three times
    r.add(3 * 4096, 4096);
    for (let i = 0; i < 5; i++) r.add(8 * 4096, 4096);
    // The patent's example: 9000 / 3000 with 1000-byte blocks.
    expect(r.continuousBytes).toBe(9 * 4096);
    expect(r.deltaBytes).toBe(3 * 4096);
    expect(r.ratio).toBe(3);
    r.remove(3 * 4096, 4096);
    expect(r.ratio).toBe(4);
    r.clear();
    expect(r.ratio).toBe(0);
  });
});
