import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { UsageError } from '../../src/util/usage-error.js';
import { parseSize } from '../../src/util/parse-size.js';

describe('sizes', () => {
  it('reads binary and decimal units', () => {
    expect(parseSize('1GiB', 'x')).toBe(1024 ** 3);
    expect(parseSize('1GB', 'x')).toBe(1e9);
    expect(parseSize('64k', 'x')).toBe(65536);
    expect(parseSize('4096', 'x')).toBe(4096);
  });
  it('only ever returns a positive safe integer or throws UsageError', () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        try {
          const n = parseSize(s, 'x');
          expect(Number.isSafeInteger(n) && n > 0).toBe(true);
        } catch (e) {
          expect(e).toBeInstanceOf(UsageError);
        }
      }),
      // A unit named like an Object.prototype key once found Object itself ("out of range").
      { examples: [['1constructor'], ['2__proto__'], ['3toString']] },
    );
  });

  it('reads only its own units, not names inherited by every object', () => {
    for (const s of ['1constructor', '1CONSTRUCTOR', '1hasOwnProperty']) expect(() => parseSize(s, 'x')).toThrow(/cannot read size/);
  });
});
