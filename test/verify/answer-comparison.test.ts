import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { differingEntries } from '../../src/verify/compare.js';

describe('answer comparison', () => {
  it('reports exactly the entries whose answers differ, offset by the first chunk', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 200 }), fc.nat(10_000), fc.uniqueArray(fc.nat(199)), (n, first, flips) => {
        const expected = Array.from({ length: n }, () => randomBytes(32));
        const actual = expected.map((b) => Buffer.from(b));
        const flipped = flips.filter((i) => i < n).sort((a, b) => a - b);
        for (const i of flipped) actual[i]![i % 32]! ^= 0x01;
        expect(differingEntries(expected, actual, first)).toEqual(flipped.map((i) => first + i));
      }),
    );
  });

  it('refuses answer lists of different lengths', () => {
    expect(() => differingEntries([randomBytes(32)], [], 0)).toThrow(RangeError);
  });
});
