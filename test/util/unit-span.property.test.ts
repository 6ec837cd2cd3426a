import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { firstUnit, lastUnit } from '../../src/util/unit-span.js';

describe('the units a byte range touches', () => {
  it('are exactly the units holding its first and last byte (the unit at the offset when empty)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1 << 20 }), fc.nat(1 << 30), fc.nat(1 << 22), (unit, offset, length) => {
        const first = firstUnit(offset, unit);
        const last = lastUnit(offset, length, unit);
        expect(first * unit).toBeLessThanOrEqual(offset);
        expect(offset).toBeLessThan((first + 1) * unit);
        const lastByte = offset + Math.max(length, 1) - 1;
        expect(last * unit).toBeLessThanOrEqual(lastByte);
        expect(lastByte).toBeLessThan((last + 1) * unit);
        if (length === 0) expect(last).toBe(first);
      }),
    );
  });
});
