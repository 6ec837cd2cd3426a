import { describe, expect, it } from 'vitest';
import { ScsiStatus } from '../../../src/scsi/types.js';
import {
  encodeChallengeCdb,
  encodeReceiveChallengeAnswersCdb,
  encodeSendChallengeListCdb,
} from '../../../src/replica-protocol/index.js';
import { fieldPointerOf, senseOf } from '../helpers.js';
import { vendorRig } from './vendor-rig.js';

const nonce = Buffer.alloc(8, 0x5a);
const single = (lba: bigint, blocks: number) => encodeChallengeCdb({ algorithm: 0, lba, blocks, nonce });

async function expectSense(p: Promise<import('../../../src/scsi/types.js').ScsiResult>, key: number, asc: number, ascq: number, field?: { cd: boolean; byte: number; bit?: number }) {
  const r = await p;
  expect(r.status).toBe(ScsiStatus.CHECK_CONDITION);
  expect(senseOf(r)).toMatchObject({ key, asc, ascq });
  expect(fieldPointerOf(r)).toEqual(field);
}

describe('CDB errors: ILLEGAL REQUEST with the field pointer', () => {
  it('CHALLENGE: unknown ALGORITHM → INVALID FIELD IN CDB byte 1 bit 7', async () => {
    const { exec } = await vendorRig();
    const cdb = single(0n, 1);
    cdb[1] = 0x20;
    await expectSense(exec(cdb), 5, 0x24, 0, { cd: true, byte: 1, bit: 7 });
  });

  it('CHALLENGE: EXTENT LENGTH 0 → INVALID FIELD IN CDB byte 6', async () => {
    const { exec } = await vendorRig();
    const cdb = single(0n, 1);
    cdb[6] = 0;
    await expectSense(exec(cdb), 5, 0x24, 0, { cd: true, byte: 6, bit: undefined });
  });

  it('CHALLENGE: beyond the last block → LBA OUT OF RANGE at the LBA field', async () => {
    const { exec, lu } = await vendorRig();
    await expectSense(exec(single(BigInt(lu.blockCount - 1), 2)), 5, 0x21, 0, { cd: true, byte: 1, bit: 3 });
    await expectSense(exec(single(1n << 35n, 1)), 5, 0x21, 0, { cd: true, byte: 1, bit: 3 });
  });

  it('CHALLENGE: extent larger than the advertised maximum → INVALID FIELD IN CDB byte 6', async () => {
    // 64 KiB blocks: the 8 MiB extent limit is 128 blocks, below the field's 255.
    const { MemoryBlockStore } = await import('../../../src/block/memory-store.js');
    const { exec } = await vendorRig(new MemoryBlockStore({ size: 256 * 65536 }), 65536);
    expect((await exec(single(0n, 128))).status).toBe(ScsiStatus.GOOD);
    await expectSense(exec(single(0n, 129)), 5, 0x24, 0, { cd: true, byte: 6, bit: undefined });
  });

  it('CONTROL byte NACA → INVALID FIELD IN CDB byte 15 (the dispatcher sees cdbLength 16)', async () => {
    const { exec } = await vendorRig();
    const cdb = single(0n, 1);
    cdb[15] = 0x04;
    await expectSense(exec(cdb), 5, 0x24, 0, { cd: true, byte: 15, bit: 2 });
  });

  it('SEND: unknown MODE → byte 1 bit 3; unknown ALGORITHM → byte 1 bit 7', async () => {
    const { exec } = await vendorRig();
    const cdb = encodeSendChallengeListCdb({ algorithm: 0, mode: 0, listId: 1, parameterListLength: 40 });
    cdb[1] = 0x02;
    await expectSense(exec(cdb), 5, 0x24, 0, { cd: true, byte: 1, bit: 3 });
    cdb[1] = 0xf0;
    await expectSense(exec(cdb), 5, 0x24, 0, { cd: true, byte: 1, bit: 7 });
  });

  it('SEND: PARAMETER LIST LENGTH not 8 + 32n → PARAMETER LIST LENGTH ERROR; over the maximum → INVALID FIELD IN CDB byte 6', async () => {
    const { exec } = await vendorRig();
    const len = (n: number) => encodeSendChallengeListCdb({ algorithm: 0, mode: 0, listId: 1, parameterListLength: n });
    await expectSense(exec(len(0)), 5, 0x1a, 0, { cd: true, byte: 6, bit: undefined });
    await expectSense(exec(len(41)), 5, 0x1a, 0, { cd: true, byte: 6, bit: undefined });
    await expectSense(exec(len(8 + 32 * 1025)), 5, 0x24, 0, { cd: true, byte: 6, bit: undefined });
  });

  it('SEND and RECEIVE: non-zero reserved bytes → INVALID FIELD IN CDB at that byte', async () => {
    const { exec } = await vendorRig();
    const send = encodeSendChallengeListCdb({ algorithm: 0, mode: 0, listId: 1, parameterListLength: 40 });
    send[12] = 1;
    await expectSense(exec(send), 5, 0x24, 0, { cd: true, byte: 12, bit: undefined });
    const recv = encodeReceiveChallengeAnswersCdb({ listId: 1, allocationLength: 100 });
    recv[1] = 0x80;
    await expectSense(exec(recv), 5, 0x24, 0, { cd: true, byte: 1, bit: undefined });
    recv[1] = 0;
    recv[14] = 1;
    await expectSense(exec(recv), 5, 0x24, 0, { cd: true, byte: 14, bit: undefined });
  });

  it('RECEIVE for a list never sent → INVALID FIELD IN CDB at the LIST IDENTIFIER', async () => {
    const { exec } = await vendorRig();
    await expectSense(exec(encodeReceiveChallengeAnswersCdb({ listId: 77, allocationLength: 1000 })), 5, 0x24, 0, { cd: true, byte: 2, bit: undefined });
  });

  it('with the medium ejected → NOT READY, MEDIUM NOT PRESENT', async () => {
    const { exec, lu } = await vendorRig();
    lu.loadOrEject(false);
    await expectSense(exec(single(0n, 1)), 2, 0x3a, 0, undefined);
    await expectSense(exec(encodeSendChallengeListCdb({ algorithm: 0, mode: 0, listId: 1, parameterListLength: 40 })), 2, 0x3a, 0, undefined);
  });
});
