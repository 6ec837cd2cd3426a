/**
 * docs/vendor-commands.md §6: "Errors are checked in this order: CDB fields, then (C2h) list
 * bounds, then the Data-Out entries in order. Only the first error is reported." An entry's
 * LU-dependent errors (LBA beyond the capacity, EXTENT LENGTH above the maximum) come before
 * any error of a later entry, whatever its kind.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemoryBlockStore } from '../../../src/block/memory-store.js';
import { ScsiStatus } from '../../../src/scsi/types.js';
import { encodeChallengeList, encodeReceiveChallengeAnswersCdb, encodeSendChallengeListCdb, type ChallengeEntry } from '../../../src/replica-protocol/index.js';
import { fieldPointerOf, senseOf } from '../helpers.js';
import { vendorRig } from './vendor-rig.js';

const nonce = Buffer.alloc(16, 0x11);
const send = (entries: number) => encodeSendChallengeListCdb({ algorithm: 0, mode: 0, listId: 1, parameterListLength: 8 + 32 * entries });

describe('SEND CHALLENGE LIST reports the first bad entry, in entry order', () => {
  it('entry 0 beyond the capacity, entry 1 with a reserved byte set: LBA OUT OF RANGE at entry 0', async () => {
    const { exec, lu } = await vendorRig();
    const entries: ChallengeEntry[] = [
      { lba: BigInt(lu.blockCount), blocks: 1, nonce },
      { lba: 0n, blocks: 1, nonce },
    ];
    const list = encodeChallengeList(entries);
    list[8 + 32 + 12] = 1; // entry 1, reserved byte 12
    const r = await exec(send(2), list);
    expect(r.status).toBe(ScsiStatus.CHECK_CONDITION);
    expect(senseOf(r)).toMatchObject({ key: 5, asc: 0x21, ascq: 0 });
    expect(fieldPointerOf(r)).toEqual({ cd: false, byte: 8, bit: undefined });
  });

  it('entry 0 longer than MAXIMUM EXTENT LENGTH, entry 1 of EXTENT LENGTH 0: INVALID FIELD at entry 0', async () => {
    // 64 KiB blocks: MAXIMUM EXTENT LENGTH is 128 blocks.
    const { exec } = await vendorRig(new MemoryBlockStore({ size: 256 * 65536 }), 65536);
    const entries: ChallengeEntry[] = [
      { lba: 0n, blocks: 129, nonce },
      { lba: 0n, blocks: 1, nonce },
    ];
    const list = encodeChallengeList(entries);
    list.writeUInt32BE(0, 8 + 32 + 8); // entry 1: EXTENT LENGTH 0
    const r = await exec(send(2), list);
    expect(r.status).toBe(ScsiStatus.CHECK_CONDITION);
    expect(senseOf(r)).toMatchObject({ key: 5, asc: 0x26, ascq: 0 });
    expect(fieldPointerOf(r)).toEqual({ cd: false, byte: 8 + 8, bit: undefined });
  });

  it('property: whatever the bad entries and their faults, the error points into the first bad one', async () => {
    // 64 KiB blocks, 256 of them: MAXIMUM EXTENT LENGTH 128.
    const { exec } = await vendorRig(new MemoryBlockStore({ size: 256 * 65536 }), 65536);
    const fault = fc.constantFrom('none', 'zero-length', 'too-long', 'reserved', 'beyond');
    await fc.assert(
      fc.asyncProperty(fc.array(fault, { minLength: 1, maxLength: 6 }), async (faults) => {
        const entries: ChallengeEntry[] = faults.map(() => ({ lba: 0n, blocks: 1, nonce }));
        const list = encodeChallengeList(entries);
        faults.forEach((f, i) => {
          const at = 8 + 32 * i;
          if (f === 'zero-length') list.writeUInt32BE(0, at + 8);
          if (f === 'too-long') list.writeUInt32BE(129, at + 8);
          if (f === 'reserved') list[at + 14] = 0xff;
          if (f === 'beyond') list.writeBigUInt64BE(256n, at);
        });
        const r = await exec(encodeSendChallengeListCdb({ algorithm: 0, mode: 0, listId: 7, parameterListLength: list.length }), list);
        const first = faults.findIndex((f) => f !== 'none');
        if (first < 0) {
          expect(r.status).toBe(ScsiStatus.GOOD);
          // Collected (waiting for its hashing), so the next run's SEND of list 7 finds none in progress.
          expect((await exec(encodeReceiveChallengeAnswersCdb({ listId: 7, allocationLength: 1 << 16 }))).status).toBe(ScsiStatus.GOOD);
          return;
        }
        expect(r.status).toBe(ScsiStatus.CHECK_CONDITION);
        const expected = { 'zero-length': [0x26, 8], 'too-long': [0x26, 8], reserved: [0x26, 14], beyond: [0x21, 0] }[faults[first] as 'beyond'];
        expect(senseOf(r).asc).toBe(expected[0]);
        expect(fieldPointerOf(r)).toEqual({ cd: false, byte: 8 + 32 * first + expected[1]!, bit: undefined });
      }),
      { numRuns: 200 },
    );
  });
});
