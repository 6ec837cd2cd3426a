import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ChapError, chooseChapAlgorithm, decodeChapBinary, encodeChapHex, parseChapIdentifier } from '../../../src/iscsi/chap.js';

describe('CHAP value encodings', () => {
  it('decodes hex (either case, odd length) and base64', () => {
    expect(decodeChapBinary('0x0aFF')).toEqual(Buffer.from([0x0a, 0xff]));
    expect(decodeChapBinary('0XABC')).toEqual(Buffer.from([0x0a, 0xbc]));
    expect(decodeChapBinary('0bAAEC/w==')).toEqual(Buffer.from([0, 1, 2, 0xff]));
  });

  it.each(['', '0x', '0xZZ', 'abcd', '0b!!', '0bA', '1234'])('refuses %j with ChapError', (v) => {
    expect(() => decodeChapBinary(v)).toThrow(ChapError);
  });

  it('hex encoding round-trips', () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 1, maxLength: 64 }), (b) => {
      expect(decodeChapBinary(encodeChapHex(b))).toEqual(Buffer.from(b));
    }));
  });

  it('base64 encoding round-trips', () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 1, maxLength: 64 }), (b) => {
      expect(decodeChapBinary(`0b${Buffer.from(b).toString('base64')}`)).toEqual(Buffer.from(b));
    }));
  });

  it('random strings never throw anything but ChapError', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (s) => {
        for (const fn of [() => decodeChapBinary(s), () => decodeChapBinary(`0x${s}`), () => decodeChapBinary(`0b${s}`), () => parseChapIdentifier(s)]) {
          try {
            fn();
          } catch (e) {
            expect(e).toBeInstanceOf(ChapError);
          }
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('parses CHAP_I in decimal or hex within 0..255', () => {
    expect(parseChapIdentifier('0')).toBe(0);
    expect(parseChapIdentifier('255')).toBe(255);
    expect(parseChapIdentifier('0x1f')).toBe(31);
    expect(() => parseChapIdentifier('256')).toThrow(ChapError);
    expect(() => parseChapIdentifier('-1')).toThrow(ChapError);
  });

  it("picks the initiator's first supported algorithm", () => {
    expect(chooseChapAlgorithm('5')).toBe(5);
    expect(chooseChapAlgorithm('7,6,5')).toBe(7);
    expect(chooseChapAlgorithm('99,5,7')).toBe(5);
    expect(chooseChapAlgorithm('1,2,x')).toBeUndefined();
  });
});
