import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { encodeSense } from '../../src/scsi/sense.js';

const info = fc.record({
  key: fc.integer({ min: 0, max: 15 }),
  asc: fc.tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 })),
  field: fc.option(fc.record({ inCdb: fc.boolean(), byte: fc.integer({ min: 0, max: 0xffff }), bit: fc.option(fc.integer({ min: 0, max: 7 }), { nil: undefined }) }), { nil: undefined }),
  information: fc.option(fc.bigInt({ min: 0n, max: (1n << 32n) - 1n }), { nil: undefined }),
});

describe('sense encoding', () => {
  it('fixed and descriptor formats carry the same key, ASC/ASCQ, information and field pointer', () => {
    fc.assert(
      fc.property(info, (i) => {
        const f = encodeSense(i, false);
        const d = encodeSense(i, true);
        expect(f[0]! & 0x7f).toBe(0x70);
        expect([f[2]! & 0x0f, f[12], f[13]]).toEqual([i.key, i.asc[0], i.asc[1]]);
        expect(d[0]).toBe(0x72);
        expect([d[1], d[2], d[3]]).toEqual([i.key, i.asc[0], i.asc[1]]);
        expect(d.length).toBe(8 + d[7]!);
        if (i.information !== undefined) {
          expect(BigInt(f.readUInt32BE(3))).toBe(i.information);
          expect(d.readBigUInt64BE(12)).toBe(i.information);
        }
        if (i.field) {
          expect(f[15]! & 0x80).toBe(0x80);
          expect(f.readUInt16BE(16)).toBe(i.field.byte);
        }
      }),
    );
  });
});

// SPC-4 §4.5.3: information too large for the fixed format's 4-byte INFORMATION field leaves
// VALID zero there; the descriptor format carries all 8 bytes.
describe('INFORMATION beyond 32 bits', () => {
  it('fixed format: VALID is zero and INFORMATION is not truncated into a false value', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 1n << 32n, max: (1n << 64n) - 1n }), (information) => {
        const f = encodeSense({ key: 0x3, asc: [0x11, 0x00], information }, false);
        expect(f[0]! & 0x80).toBe(0);
        expect(f.readUInt32BE(3)).toBe(0);
        const d = encodeSense({ key: 0x3, asc: [0x11, 0x00], information }, true);
        expect(d[10]! & 0x80).toBe(0x80);
        expect(d.readBigUInt64BE(12)).toBe(information);
      }),
    );
  });

  it('fixed format: VALID is set up to FFFF FFFFh', () => {
    const f = encodeSense({ key: 0x3, asc: [0x11, 0x00], information: 0xffffffffn }, false);
    expect(f[0]! & 0x80).toBe(0x80);
    expect(f.readUInt32BE(3)).toBe(0xffffffff);
  });
});
