import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SenseError } from '../../../src/scsi/sense.js';
import {
  ChallengeAlgorithm,
  ChallengeFormatError,
  ChallengeMode,
  DEFINED_ALGORITHMS,
  MAX_PARAMETER_LIST_BYTES,
  SINGLE_MAX_LBA,
  encodeChallengeCdb,
  encodeReceiveChallengeAnswersCdb,
  encodeSendChallengeListCdb,
} from '../../../src/replica-protocol/index.js';
import {
  decodeChallengeCdb,
  decodeReceiveChallengeAnswersCdb,
  decodeSendChallengeListCdb,
} from '../../../src/scsi/replica-commands/index.js';

const u32 = fc.integer({ min: 0, max: 0xffffffff });
const algorithm = fc.constantFrom(...DEFINED_ALGORITHMS);
const listLength = fc.integer({ min: 1, max: (MAX_PARAMETER_LIST_BYTES - 8) / 32 }).map((n) => 8 + 32 * n);

function onlyTyped(decode: (b: Buffer) => unknown, b: Buffer): void {
  try {
    decode(b);
  } catch (e) {
    expect(e instanceof SenseError || e instanceof ChallengeFormatError).toBe(true);
  }
}

describe('CDB codecs', () => {
  it('CHALLENGE round-trips', () => {
    fc.assert(
      fc.property(
        algorithm,
        fc.bigInt({ min: 0n, max: SINGLE_MAX_LBA }),
        fc.integer({ min: 1, max: 255 }),
        fc.uint8Array({ minLength: 8, maxLength: 8 }),
        (algorithm, lba, blocks, nonce) => {
          const c = { algorithm, lba, blocks, nonce: Buffer.from(nonce), control: 0 };
          const cdb = encodeChallengeCdb(c);
          expect(cdb.length).toBe(16);
          expect(decodeChallengeCdb(cdb)).toEqual(c);
        },
      ),
    );
  });

  it('SEND CHALLENGE LIST round-trips for every algorithm and the modes it allows', () => {
    const algorithmAndMode = fc.oneof(
      fc.constantFrom(ChallengeMode.HMAC, ChallengeMode.REVERSIBLE).map((mode) => ({ algorithm: ChallengeAlgorithm.SHA256, mode })),
      fc.constant({ algorithm: ChallengeAlgorithm.XXH3_128, mode: ChallengeMode.HMAC }),
    );
    fc.assert(
      fc.property(algorithmAndMode, u32, listLength, (am, listId, parameterListLength) => {
        const c = { ...am, listId, parameterListLength, control: 0 };
        expect(decodeSendChallengeListCdb(encodeSendChallengeListCdb(c))).toEqual(c);
      }),
    );
  });

  it('the ALGORITHM field: an algorithm outside the supported set → INVALID FIELD IN CDB byte 1 bit 7, in both CDBs', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 15 }), fc.subarray([...DEFINED_ALGORITHMS]), (code, supported) => {
        const single = encodeChallengeCdb({ algorithm: code as never, lba: 0n, blocks: 1, nonce: Buffer.alloc(8) });
        const list = encodeSendChallengeListCdb({ algorithm: code as never, mode: 0, listId: 1, parameterListLength: 40 });
        expect(single[1]! >> 4).toBe(code);
        expect(list[1]! >> 4).toBe(code);
        for (const [decode, cdb] of [[decodeChallengeCdb, single], [decodeSendChallengeListCdb, list]] as const) {
          if ((supported as number[]).includes(code)) expect(decode(cdb, supported).algorithm).toBe(code);
          else expect(() => decode(cdb, supported)).toThrow(expect.objectContaining({ field: { inCdb: true, byte: 1, bit: 7 } }));
        }
      }),
    );
  });

  it('reversible mode with XXH3-128 → INVALID FIELD IN CDB at the MODE field (byte 1 bit 3)', () => {
    const cdb = encodeSendChallengeListCdb({ algorithm: ChallengeAlgorithm.XXH3_128, mode: ChallengeMode.REVERSIBLE, listId: 1, parameterListLength: 40 });
    expect(() => decodeSendChallengeListCdb(cdb)).toThrow(expect.objectContaining({ field: { inCdb: true, byte: 1, bit: 3 } }));
  });

  it('RECEIVE CHALLENGE ANSWERS round-trips', () => {
    fc.assert(
      fc.property(u32, u32, (listId, allocationLength) => {
        const c = { listId, allocationLength, control: 0 };
        expect(decodeReceiveChallengeAnswersCdb(encodeReceiveChallengeAnswersCdb(c))).toEqual(c);
      }),
    );
  });

  it('random bytes never throw anything but SenseError or ChallengeFormatError', () => {
    fc.assert(
      fc.property(fc.constantFrom(0xc1, 0xc2, 0xc3), fc.uint8Array({ minLength: 0, maxLength: 20 }), (op, bytes) => {
        const b = Buffer.from(bytes);
        if (b.length > 0) b[0] = op;
        onlyTyped(decodeChallengeCdb, b);
        onlyTyped(decodeSendChallengeListCdb, b);
        onlyTyped(decodeReceiveChallengeAnswersCdb, b);
      }),
      { numRuns: 2000 },
    );
  });
});
