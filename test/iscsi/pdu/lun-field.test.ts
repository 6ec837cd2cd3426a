import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UNADDRESSABLE_LUN, lunFromField, lunToField } from '../../../src/iscsi/pdu/bhs.js';

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
