import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { native } from '../../src/native/index.js';

const anything = fc.oneof(
  fc.anything(),
  fc.double(),
  fc.uint8Array().map((a) => Buffer.from(a)),
  fc.constant(() => {}),
  fc.constant(-1),
  fc.constant(2 ** 60),
);

const asyncEntryPoints = ['pread', 'pwrite', 'pwriteFua', 'preadv', 'pwritev', 'discard', 'allocation', 'sha256File', 'digestExtents'] as const;

describe('argument checks', () => {
  it('garbage arguments only ever raise TypeError or RangeError, never crash', () => {
    fc.assert(
      fc.property(fc.constantFrom(...asyncEntryPoints), fc.array(anything, { maxLength: 5 }), (name, args) => {
        // A bad fd keeps any call that does pass the checks harmless.
        const fn = (native as unknown as Record<string, (...a: unknown[]) => unknown>)[name]!;
        try {
          fn(1_000_000, ...args.slice(1));
        } catch (e) {
          expect(e instanceof TypeError || e instanceof RangeError).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('rejects negative, fractional and unsafe offsets with RangeError', () => {
    for (const offset of [-1, 1.5, 2 ** 54, Number.NaN, Infinity]) {
      expect(() => native.pread(1_000_000, Buffer.alloc(1), offset, () => {})).toThrow(RangeError);
    }
  });

  it('rejects odd-length extent lists', () => {
    expect(() => native.digestExtents(1_000_000, new Float64Array(3), () => {})).toThrow(RangeError);
  });
});
