import { describe, expect, it } from 'vitest';
import { ScsiStatus, type ScsiResult } from '../../../src/scsi/types.js';
import { fieldPointerOf, rig, senseOf } from '../helpers.js';

function writeAtomic16(lba: number, blocks: number, opts: { dpo?: boolean; fua?: boolean; wrprotect?: number; boundary?: number } = {}): Buffer {
  const cdb = Buffer.alloc(16);
  cdb[0] = 0x9c;
  cdb[1] = ((opts.wrprotect ?? 0) << 5) | (opts.dpo ? 0x10 : 0) | (opts.fua ? 0x08 : 0);
  cdb.writeBigUInt64BE(BigInt(lba), 2);
  cdb.writeUInt16BE(opts.boundary ?? 0, 10);
  cdb.writeUInt16BE(blocks, 12);
  return cdb;
}

function expectInvalid(r: ScsiResult, asc: number, byte: number, bit?: number): void {
  expect(r.status).toBe(ScsiStatus.CHECK_CONDITION);
  expect(senseOf(r)).toMatchObject({ key: 0x5, asc, ascq: 0 });
  expect(fieldPointerOf(r)).toEqual({ cd: true, byte, bit });
}

describe('WRITE ATOMIC(16)', () => {
  it('writes all the blocks (DPO/FUA accepted); zero blocks write nothing', async () => {
    const { exec, store } = await rig({ advanced: true });
    const data = Buffer.alloc(8 * 512, 0x5a);
    expect((await exec(writeAtomic16(16, 8, { dpo: true, fua: true }), data)).status).toBe(ScsiStatus.GOOD);
    const back = Buffer.alloc(8 * 512);
    await store.read(back, 16 * 512);
    expect(back.equals(data)).toBe(true);
    expect((await exec(writeAtomic16(0, 0))).status).toBe(ScsiStatus.GOOD);
  });

  it('refuses WRPROTECT, an atomic boundary, too many blocks and LBAs beyond the end, with field pointers', async () => {
    const { exec, lu } = await rig({ advanced: true, blocks: 4096 });
    expectInvalid(await exec(writeAtomic16(0, 1, { wrprotect: 1 })), 0x24, 1, 7);
    expectInvalid(await exec(writeAtomic16(0, 1, { boundary: 1 })), 0x24, 10);
    expectInvalid(await exec(writeAtomic16(0, 2049)), 0x24, 12);
    expectInvalid(await exec(writeAtomic16(lu.blockCount - 1, 2)), 0x21, 2);
    expectInvalid(await exec(writeAtomic16(lu.blockCount, 0)), 0x21, 2);
  });

  it('a write past the end is LBA OUT OF RANGE even when it is also longer than atomic writes may be (4 KiB blocks: 256)', async () => {
    const { exec, lu } = await rig({ advanced: true, blockSize: 4096, blocks: 4096 });
    // libiscsi's WriteAtomic16.BeyondEol: 2 × i blocks from i blocks before the end, i up to 256.
    expectInvalid(await exec(writeAtomic16(lu.blockCount - 200, 400)), 0x21, 2);
    expectInvalid(await exec(writeAtomic16(lu.blockCount - 256, 512)), 0x21, 2);
    // Within the medium, the length is what is wrong.
    expectInvalid(await exec(writeAtomic16(0, 257)), 0x24, 12);
    expect((await exec(writeAtomic16(lu.blockCount - 256, 256), Buffer.alloc(256 * 4096, 1))).status).toBe(ScsiStatus.GOOD);
  });

  it('Block Limits VPD advertises MAXIMUM ATOMIC TRANSFER LENGTH (1 MiB), no alignment or granularity', async () => {
    const { exec } = await rig({ advanced: true });
    const r = await exec([0x12, 0x01, 0xb0, 0x00, 0xff, 0x00]);
    const page = r.dataIn!;
    expect(page.readUInt32BE(44)).toBe(2048);
    expect(page.readUInt32BE(48)).toBe(0);
    expect(page.readUInt32BE(52)).toBe(0);
    expect(page.readUInt32BE(44)).toBeLessThanOrEqual(page.readUInt32BE(8));
  });

  it('a read-only LU advertises no atomic writes and refuses them as write-protected', async () => {
    const { exec } = await rig({ advanced: true, readOnly: true });
    const page = (await exec([0x12, 0x01, 0xb0, 0x00, 0xff, 0x00])).dataIn!;
    expect(page.readUInt32BE(44)).toBe(0);
    const r = await exec(writeAtomic16(0, 1), Buffer.alloc(512));
    expect(senseOf(r)).toMatchObject({ key: 0x7, asc: 0x27 });
  });
});
