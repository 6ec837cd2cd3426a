/**
 * RFC 7143 §6.1 numerical values as negotiation reads them (parseNumber): a decimal constant
 * of up to 20 digits or a hex constant 0x/0X of up to 16 digits, any larger than a safe
 * integer read as Number.MAX_SAFE_INTEGER (then out of every key's range); anything else is
 * no number at all (undefined), never a throw.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseNumber } from '../../../src/iscsi/negotiation.js';

const MAX = BigInt(Number.MAX_SAFE_INTEGER);
const read = (n: bigint): number => Number(n > MAX ? MAX : n);
const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });

describe('numerical values in text keys', () => {
  it('reads every decimal constant of up to 20 digits, leading zeros included', () => {
    fc.assert(
      fc.property(u64, fc.nat({ max: 4 }), (n, zeros) => {
        const text = '0'.repeat(zeros) + n.toString();
        fc.pre(text.length <= 20);
        expect(parseNumber(text)).toBe(read(n));
      }),
    );
  });

  it('reads every hex constant of up to 16 digits, in either case', () => {
    fc.assert(
      fc.property(u64, fc.boolean(), fc.boolean(), (n, upperX, upperDigits) => {
        const digits = n.toString(16);
        expect(parseNumber(`0${upperX ? 'X' : 'x'}${upperDigits ? digits.toUpperCase() : digits}`)).toBe(read(n));
      }),
    );
  });

  it('refuses more digits than the forms allow', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9]{21,30}$/), fc.stringMatching(/^[0-9a-f]{17,24}$/), (dec, hex) => {
        expect(parseNumber(dec)).toBeUndefined();
        expect(parseNumber(`0x${hex}`)).toBeUndefined();
      }),
    );
  });

  it('a value with anything else in it is no number: signs, spaces, base64, empty', () => {
    const noise = fc.constantFrom(' ', '+', '-', '.', 'g', '0b', '=', '\0', 'e3');
    fc.assert(
      fc.property(fc.nat({ max: 99999 }), noise, fc.boolean(), (n, junk, before) => {
        const text = before ? `${junk}${n}` : `${n}${junk}`;
        expect(parseNumber(text)).toBeUndefined();
      }),
    );
    for (const text of ['', '0x', '0b1010', 'Yes', 'Irrelevant']) expect(parseNumber(text)).toBeUndefined();
  });

  it('never throws on arbitrary text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (text) => {
        const n = parseNumber(text);
        if (n !== undefined) expect(Number.isSafeInteger(n) && n >= 0).toBe(true);
      }),
    );
  });
});
