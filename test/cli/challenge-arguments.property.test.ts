/**
 * `tandem challenge --lba N --blocks K --nonce HEX`: each value as typed gives what it spells
 * within CHALLENGE's fields (a 36-bit LBA in decimal or 0x hex, 1-255 blocks, a nonce of
 * exactly its byte count in hex) or one UsageError line, never another exception.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseBlocks, parseLba, parseNonce } from '../../src/cli/challenge.js';
import { SINGLE_MAX_BLOCKS, SINGLE_MAX_LBA, SINGLE_NONCE_BYTES } from '../../src/replica-protocol/index.js';
import { readOrRefuse } from './usage-outcome.js';

const refused = (parse: () => unknown): boolean => readOrRefuse(parse) === 'refused';

const spaces = fc.constantFrom('', ' ', '  ');

describe('--lba', () => {
  it('reads every LBA CHALLENGE can carry, in decimal or hex, spaces around allowed', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: SINGLE_MAX_LBA }), fc.constantFrom('dec', 'hex', 'HEX'), spaces, (lba, form, pad) => {
        const text = form === 'dec' ? lba.toString() : form === 'hex' ? `0x${lba.toString(16)}` : `0X${lba.toString(16).toUpperCase()}`;
        expect(parseLba(`${pad}${text}${pad}`)).toBe(lba);
      }),
    );
  });

  it('refuses an LBA past 36 bits', () => {
    fc.assert(fc.property(fc.oneof(fc.constant(SINGLE_MAX_LBA + 1n), fc.bigInt({ min: SINGLE_MAX_LBA + 1n, max: 1n << 70n })), (lba) => {
      expect(refused(() => parseLba(lba.toString()))).toBe(true);
    }));
  });

  it('any text: an LBA in range or one usage line', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 24 }), (text) => {
        let lba: bigint | undefined;
        if (!refused(() => (lba = parseLba(text)))) expect(lba! >= 0n && lba! <= SINGLE_MAX_LBA).toBe(true);
      }),
    );
  });
});

describe('--blocks', () => {
  it('reads 1 to the most CHALLENGE carries; one when not given', () => {
    expect(parseBlocks(undefined)).toBe(1);
    fc.assert(fc.property(fc.integer({ min: 1, max: SINGLE_MAX_BLOCKS }), spaces, (k, pad) => {
      expect(parseBlocks(`${pad}${k}${pad}`)).toBe(k);
    }));
  });

  it('refuses zero, more than the most, and anything not a whole number', () => {
    fc.assert(
      fc.property(fc.oneof(fc.constant(0), fc.integer({ min: SINGLE_MAX_BLOCKS + 1, max: 10 ** 9 })), (k) => {
        expect(refused(() => parseBlocks(String(k)))).toBe(true);
      }),
    );
    for (const text of ['', '-1', '1.5', '1e2', '0x10', 'one']) expect(refused(() => parseBlocks(text))).toBe(true);
  });
});

describe('--nonce', () => {
  it('reads exactly its bytes in hex, with or without 0x, in either case, spaces around allowed', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: SINGLE_NONCE_BYTES, maxLength: SINGLE_NONCE_BYTES }), fc.constantFrom('', '0x', '0X'), fc.boolean(), spaces, (bytes, prefix, upper, pad) => {
        const hex = Buffer.from(bytes).toString('hex');
        expect(parseNonce(`${pad}${prefix}${upper ? hex.toUpperCase() : hex}${pad}`)).toEqual(Buffer.from(bytes));
      }),
    );
  });

  it('refuses any other number of hex digits', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2 * SINGLE_NONCE_BYTES }), fc.boolean(), (bytes, odd) => {
        const hex = Buffer.from(bytes).toString('hex') + (odd ? 'a' : '');
        fc.pre(hex.length !== 2 * SINGLE_NONCE_BYTES);
        expect(refused(() => parseNonce(hex))).toBe(true);
      }),
    );
  });

  it('not given, a fresh random nonce of the full size', () => {
    const a = parseNonce(undefined);
    expect(a).toHaveLength(SINGLE_NONCE_BYTES);
    expect(parseNonce(undefined).equals(a)).toBe(false);
  });
});
