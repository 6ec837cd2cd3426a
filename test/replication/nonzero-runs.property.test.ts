/** The non-zero parts of a chunk sent onto a replica region holding nothing (nonzero-runs.ts). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nonZeroRuns } from '../../src/replication/nonzero-runs.js';

const GRANULE = 512;

describe('non-zero runs', () => {
  it('cover every non-zero byte, skip every all-zero granule, and are granule-aligned, ascending and apart', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 24 }),
        fc.array(fc.record({ at: fc.nat(), value: fc.integer({ min: 1, max: 255 }) }), { maxLength: 12 }),
        fc.integer({ min: 0, max: GRANULE - 1 }),
        (granules, bytes, short) => {
          const data = Buffer.alloc(Math.max(1, granules * GRANULE - short));
          for (const b of bytes) data[b.at % data.length] = b.value;
          const runs = nonZeroRuns(data, GRANULE);
          let prevEnd = -1;
          for (const [start, end] of runs) {
            expect(start % GRANULE).toBe(0);
            expect(end === data.length || end % GRANULE === 0).toBe(true);
            expect(start).toBeGreaterThan(prevEnd);
            prevEnd = end;
          }
          const covered = (i: number) => runs.some(([s, e]) => i >= s && i < e);
          for (let i = 0; i < data.length; i++) if (data[i] !== 0) expect(covered(i)).toBe(true);
          // A granule inside a run holds data: nothing all-zero is written.
          for (const [s, e] of runs) for (let g = s; g < e; g += GRANULE) expect(data.subarray(g, Math.min(e, g + GRANULE)).some((x) => x !== 0)).toBe(true);
        },
      ),
    );
  });
});
