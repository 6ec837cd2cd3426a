import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SenseError } from '../../../src/scsi/sense.js';
import { encodeChallengeList } from '../../../src/replica-protocol/index.js';
import { decodeChallengeList } from '../../../src/scsi/replica-commands/index.js';

const entry = fc.record({
  lba: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
  blocks: fc.integer({ min: 1, max: 0xffffffff }),
  nonce: fc.uint8Array({ minLength: 16, maxLength: 16 }).map((a) => Buffer.from(a)),
});

describe('SEND CHALLENGE LIST parameter list', () => {
  it('round-trips', () => {
    fc.assert(
      fc.property(fc.array(entry, { minLength: 1, maxLength: 40 }), (entries) => {
        const b = encodeChallengeList(entries);
        expect(b.length).toBe(8 + 32 * entries.length);
        expect(decodeChallengeList(b)).toEqual(entries);
      }),
    );
  });

  it('random bytes never throw anything but SenseError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.boolean(), (bytes, fixCount) => {
        const b = Buffer.from(bytes);
        // Half the runs get a consistent ENTRY COUNT so the entry checks are reached too.
        if (fixCount && b.length >= 40 && (b.length - 8) % 32 === 0) b.writeUInt32BE((b.length - 8) / 32, 0);
        try {
          decodeChallengeList(b);
        } catch (e) {
          expect(e).toBeInstanceOf(SenseError);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('points at the first bad field of the first bad entry', () => {
    const entries = [0, 1, 2].map((i) => ({ lba: BigInt(i), blocks: 1, nonce: Buffer.alloc(16, i) }));
    const b = encodeChallengeList(entries);
    b.writeUInt32BE(0, 8 + 32 * 2 + 8); // entry 2 EXTENT LENGTH = 0
    expect(() => decodeChallengeList(b)).toThrow(expect.objectContaining({ asc: [0x26, 0x00], field: { inCdb: false, byte: 80, bit: undefined } }));
    const c = encodeChallengeList(entries);
    c[8 + 32 + 13] = 1; // entry 1 reserved
    expect(() => decodeChallengeList(c)).toThrow(expect.objectContaining({ field: { inCdb: false, byte: 53, bit: undefined } }));
    const d = encodeChallengeList(entries);
    d.writeUInt32BE(2, 0); // ENTRY COUNT disagrees with the length
    expect(() => decodeChallengeList(d)).toThrow(expect.objectContaining({ field: { inCdb: false, byte: 0, bit: undefined } }));
  });
});
