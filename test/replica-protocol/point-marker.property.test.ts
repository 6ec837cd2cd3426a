/**
 * POINT parameters (REPLICATION CONTROL 05h): what the primary encodes the backup decodes
 * to the same point, and any other bytes are refused with a PointFormatError naming the
 * byte at fault (never a crash, never a wrong point).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_POINT_LABEL_BYTES, POINT_FIXED_BYTES, PointFormatError, decodePointParameters, encodePointParameters, type PointMarker } from '../../src/replica-protocol/index.js';

const label = fc.string({ unit: 'grapheme', maxLength: 16 }).filter((s) => s.length > 0 && Buffer.byteLength(s) <= MAX_POINT_LABEL_BYTES);
const point: fc.Arbitrary<PointMarker> = fc
  .record({
    id: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
    at: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
    origin: fc.constantFrom('pass' as const, 'scheduled' as const, 'manual' as const),
    label: fc.option(label, { nil: undefined }),
  })
  .map(({ label: l, ...p }) => (l === undefined ? p : { ...p, label: l }));

describe('POINT parameters', () => {
  it('round-trip every point', () => {
    fc.assert(
      fc.property(point, (p) => {
        expect(decodePointParameters(encodePointParameters(p))).toEqual(p);
      }),
    );
  });

  it('refuse any bytes that are not a point, naming the byte', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
        const b = Buffer.from(bytes);
        let decoded: PointMarker | undefined;
        try {
          decoded = decodePointParameters(b);
        } catch (e) {
          expect(e).toBeInstanceOf(PointFormatError);
          expect((e as PointFormatError).byte).toBeGreaterThanOrEqual(-1);
          expect((e as PointFormatError).byte).toBeLessThan(Math.max(b.length, POINT_FIXED_BYTES));
          return;
        }
        // Whatever decodes encodes back to the same bytes: no two byte strings mean one point.
        expect(encodePointParameters(decoded).equals(b)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it.each([
    ['a short list', Buffer.alloc(10), -1],
    ['id 0', Buffer.alloc(POINT_FIXED_BYTES), 0],
    ['origin 3', Buffer.concat([encodePointParameters({ id: 1, at: 0, origin: 'pass' }).subarray(0, 16), Buffer.from([3]), Buffer.alloc(7)]), 16],
    ['a reserved byte', (() => { const b = encodePointParameters({ id: 1, at: 0, origin: 'pass' }); b[20] = 1; return b; })(), 20],
    ['a label longer than the list', (() => { const b = encodePointParameters({ id: 1, at: 0, origin: 'manual' }); b[17] = 5; return b; })(), -1],
    ['a label of 65 bytes', (() => { const b = Buffer.alloc(POINT_FIXED_BYTES + 65); b.writeBigUInt64BE(1n, 0); b[17] = 65; return b; })(), 17],
  ])('refuses %s', (_what, bytes, byte) => {
    expect(() => decodePointParameters(bytes)).toThrow(PointFormatError);
    try {
      decodePointParameters(bytes);
    } catch (e) {
      expect((e as PointFormatError).byte).toBe(byte);
    }
  });
});
