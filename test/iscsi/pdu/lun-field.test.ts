import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UNADDRESSABLE_LUN, lunFromField, lunToField, readLunField, writeLunField } from '../../../src/iscsi/pdu/bhs.js';

describe('LUN field addressing', () => {
  it('round-trips every LUN 0..16383', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 16383 }), (n) => { expect(lunFromField(lunToField(n))).toBe(n); }));
  });

  it('uses peripheral addressing below 256 and flat above', () => {
    expect(lunToField(5)).toBe(0x0005_0000_0000_0000n);
    expect(lunToField(300)).toBe(0x412c_0000_0000_0000n);
    expect(lunFromField(0x4001_0000_0000_0000n)).toBe(1);
  });

  it('reports other addressing methods as unaddressable', () => {
    expect(lunFromField(0x8001_0000_0000_0000n)).toBe(UNADDRESSABLE_LUN);
    expect(lunFromField(0xc001_0000_0000_0000n)).toBe(UNADDRESSABLE_LUN);
    expect(lunFromField(0x0101_0000_0000_0000n)).toBe(UNADDRESSABLE_LUN);
  });
});

describe('LUN field codec', () => {
  it('reads and writes every 8-byte field exactly, first-level ones included', () => {
    const first = fc.integer({ min: 0, max: 0xffff }).map((n) => BigInt(n) << 48n);
    fc.assert(
      fc.property(fc.oneof(first, fc.bigInt({ min: 0n, max: 2n ** 64n - 1n })), (field) => {
        const bhs = Buffer.alloc(48, 0xaa);
        writeLunField(bhs, field);
        expect(bhs.readBigUInt64BE(8)).toBe(field);
        expect(readLunField(bhs)).toBe(field);
        expect(lunFromField(readLunField(bhs))).toBe(lunFromField(field));
      }),
      { numRuns: 2000 },
    );
  });
});
