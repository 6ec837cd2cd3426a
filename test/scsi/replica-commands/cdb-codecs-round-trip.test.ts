import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SenseError } from '../../../src/scsi/sense.js';
import {
  ChallengeFormatError,
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
        fc.bigInt({ min: 0n, max: SINGLE_MAX_LBA }),
        fc.integer({ min: 1, max: 255 }),
        fc.uint8Array({ minLength: 8, maxLength: 8 }),
        (lba, blocks, nonce) => {
          const c = { algorithm: 0 as const, lba, blocks, nonce: Buffer.from(nonce), control: 0 };
          const cdb = encodeChallengeCdb(c);
          expect(cdb.length).toBe(16);
          expect(decodeChallengeCdb(cdb)).toEqual(c);
        },
      ),
    );
  });

  it('SEND CHALLENGE LIST round-trips for both modes', () => {
    fc.assert(
      fc.property(fc.constantFrom(0 as const, 1 as const), u32, listLength, (mode, listId, parameterListLength) => {
        const c = { algorithm: 0 as const, mode, listId, parameterListLength, control: 0 };
        expect(decodeSendChallengeListCdb(encodeSendChallengeListCdb(c))).toEqual(c);
      }),
    );
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
