/**
 * 32-bit serial number arithmetic (RFC 1982 §3), as CmdSN, StatSN and DataSN windows use it
 * across the wrap: adding 1 to 2^31 - 1 makes a number greater; adding exactly 2^31 makes
 * one neither greater nor smaller; no two numbers are each smaller than the other; max
 * picks the greater, and ≤ is < or equal.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { serialAdd, serialLt, serialLte, serialMax } from '../../../src/iscsi/pdu/serial.js';

const u32 = fc.integer({ min: 0, max: 0xffffffff });
const forward = fc.integer({ min: 1, max: 0x7fffffff });
const edges = fc.constantFrom(0, 1, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff);
const sn = fc.oneof(edges, u32);

describe('serial number arithmetic', () => {
  it('a number plus 1 to 2^31 - 1 is greater, across the wrap too', () => {
    fc.assert(
      fc.property(sn, fc.oneof(fc.constantFrom(1, 0x7fffffff), forward), (a, n) => {
        const b = serialAdd(a, n);
        expect(b).toBe((a + n) % 2 ** 32);
        expect(serialLt(a, b)).toBe(true);
        expect(serialLt(b, a)).toBe(false);
        expect(serialLte(a, b)).toBe(true);
        expect(serialMax(a, b)).toBe(b);
        expect(serialMax(b, a)).toBe(b);
      }),
    );
  });

  it('a number plus exactly 2^31 is neither greater nor smaller (RFC 1982: undefined)', () => {
    fc.assert(
      fc.property(sn, (a) => {
        const b = serialAdd(a, 0x80000000);
        expect(serialLt(a, b)).toBe(false);
        expect(serialLt(b, a)).toBe(false);
      }),
    );
  });

  it('< is irreflexive and asymmetric; ≤ is < or equal', () => {
    fc.assert(
      fc.property(sn, sn, (a, b) => {
        expect(serialLt(a, a)).toBe(false);
        expect(serialLt(a, b) && serialLt(b, a)).toBe(false);
        expect(serialLte(a, b)).toBe(a === b || serialLt(a, b));
        expect([a, b]).toContain(serialMax(a, b));
      }),
    );
  });
});
