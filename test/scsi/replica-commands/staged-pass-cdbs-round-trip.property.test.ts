import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SenseError } from '../../../src/scsi/sense.js';
import {
  ChallengeFormatError,
  PassAction,
  encodePassControlCdb,
  encodeStagedWriteCdb,
  type PassActionCode,
} from '../../../src/replica-protocol/index.js';
import { decodePassControlCdb, decodeStagedWriteCdb } from '../../../src/scsi/replica-commands/index.js';

const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
const action = fc.constantFrom(...(Object.values(PassAction) as PassActionCode[]));

describe('staged-pass CDB codecs', () => {
  it('PASS CONTROL round-trips', () => {
    fc.assert(
      fc.property(action, u64, (a, passId) => {
        const c = { action: a, passId, control: 0 };
        const cdb = encodePassControlCdb(c);
        expect(cdb.length).toBe(16);
        expect(cdb[0]).toBe(0xc4);
        expect(decodePassControlCdb(cdb)).toEqual(c);
      }),
    );
  });

  it('STAGED WRITE round-trips, with and without UNMAP', () => {
    fc.assert(
      fc.property(u64, fc.integer({ min: 0, max: 0xffffffff }), fc.boolean(), (lba, blocks, unmap) => {
        const c = { lba, blocks, ...(unmap ? { unmap } : {}), control: 0 };
        const cdb = encodeStagedWriteCdb(c);
        expect(cdb[0]).toBe(0xc5);
        expect(cdb[1]).toBe(unmap ? 0x08 : 0);
        expect(decodeStagedWriteCdb(cdb)).toStrictEqual(c);
      }),
    );
  });

  it('STAGED WRITE refuses every byte-1 bit but UNMAP', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 255 }).filter((b) => (b & ~0x08) !== 0), (byte1) => {
        const cdb = encodeStagedWriteCdb({ lba: 0n, blocks: 1 });
        cdb[1] = byte1;
        expect(() => decodeStagedWriteCdb(cdb)).toThrow(SenseError);
      }),
    );
  });

  it('random CDB bytes decode or fail with SenseError only', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (bytes) => {
        for (const decode of [decodePassControlCdb, decodeStagedWriteCdb]) {
          try {
            decode(Buffer.from(bytes));
          } catch (e) {
            expect(e).toBeInstanceOf(SenseError);
          }
        }
      }),
    );
  });

  it('encoders refuse values that do not fit', () => {
    expect(() => encodePassControlCdb({ action: 7 as PassActionCode, passId: 0n })).toThrow(ChallengeFormatError);
    expect(() => encodePassControlCdb({ action: PassAction.BEGIN, passId: 1n << 64n })).toThrow(ChallengeFormatError);
    expect(() => encodeStagedWriteCdb({ lba: 0n, blocks: 2 ** 32 })).toThrow(ChallengeFormatError);
  });
});
