/** A gather list's slices are exactly the bytes of its pieces joined, for any pieces and range. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GatheredData, dataOutRange } from '../../src/initiator/data-out.js';

const pieces = fc.array(fc.uint8Array({ minLength: 0, maxLength: 64 }), { minLength: 0, maxLength: 12 }).map((ps) => ps.map((p) => Buffer.from(p)));

describe('GatheredData', () => {
  it('slices as the joined buffer would, without copying', () => {
    fc.assert(
      fc.property(pieces, fc.nat(), fc.nat(), (ps, a, b) => {
        const joined = Buffer.concat(ps);
        const gathered = new GatheredData(ps);
        expect(gathered.length).toBe(joined.length);
        const start = joined.length === 0 ? 0 : a % (joined.length + 1);
        const end = start + (joined.length === 0 ? 0 : b % (joined.length - start + 1));
        const slice = gathered.slice(start, end);
        expect(Buffer.concat(slice).equals(joined.subarray(start, end))).toBe(true);
        // Views, never empty ones: the transport writes each piece as it is.
        for (const s of slice) {
          expect(s.length).toBeGreaterThan(0);
          expect(ps.some((p) => p.buffer === s.buffer)).toBe(true);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('is sent as a plain buffer when the Data-Out is one', () => {
    const b = Buffer.from('0123456789');
    expect(dataOutRange(b, 2, 5)).toEqual(Buffer.from('234'));
    expect(dataOutRange(new GatheredData([b.subarray(0, 4), b.subarray(4)]), 2, 6)).toEqual([Buffer.from('23'), Buffer.from('45')]);
  });
});
