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

const asyncEntryPoints = ['pread', 'pwrite', 'pwriteFua', 'preadv', 'pwritev', 'discard', 'allocation', 'allocationMap', 'sha256File', 'digestExtents'] as const;

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

  it('allocationMap: an extent bound outside 1-65536 is a RangeError', () => {
    for (const maxExtents of [0, -1, 65537, 1.5]) {
      expect(() => native.allocationMap(1_000_000, 0, 4096, maxExtents, () => {})).toThrow(RangeError);
    }
  });

  it('rejects odd-length extent lists', () => {
    expect(() => native.digestExtents(1_000_000, new Float64Array(3), 'sha256', () => {})).toThrow(RangeError);
  });

  it('rejects digest algorithms by name: not a string → TypeError, unknown → RangeError', () => {
    const extents = new Float64Array(2);
    expect(() => native.digestExtents(1_000_000, extents, 0 as never, () => {})).toThrow(TypeError);
    expect(() => native.digestExtents(1_000_000, extents, 'md5' as never, () => {})).toThrow(RangeError);
    expect(() => native.digestInto('SHA256' as never, [], Buffer.alloc(32), 0)).toThrow(RangeError);
  });

  it('digestInto: garbage raises TypeError or RangeError, and it never writes outside `out`', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('sha256', 'xxh3', 'nope', 7),
        fc.oneof(fc.array(fc.uint8Array({ maxLength: 64 }).map((a) => Buffer.from(a)), { maxLength: 3 }), anything),
        fc.nat(40),
        fc.oneof(fc.nat(40), fc.constant(-1), fc.constant(0.5)),
        (algorithm, parts, outLength, offset) => {
          const backing = Buffer.alloc(outLength + 16, 0xee);
          const out = backing.subarray(8, 8 + outLength);
          try {
            native.digestInto(algorithm as never, parts as Buffer[], out, offset);
          } catch (e) {
            expect(e instanceof TypeError || e instanceof RangeError).toBe(true);
          }
          expect(backing.subarray(0, 8).every((b) => b === 0xee) && backing.subarray(8 + outLength).every((b) => b === 0xee)).toBe(true);
        },
      ),
      { numRuns: 500 },
    );
  });
});
