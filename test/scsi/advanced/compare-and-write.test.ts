import { describe, expect, it } from 'vitest';
import { ScsiStatus } from '../../../src/scsi/types.js';
import { encodeFixedSense } from '../../../src/scsi/sense.js';
import { MemoryBlockStore } from '../../../src/block/memory-store.js';
import { A, exec, makeLu, readBlocks, writeCdb16 } from './helpers.js';

const CAW = 0x89;

describe('COMPARE AND WRITE', () => {
  it('writes the second half when the first half matches the medium', async () => {
    const lu = await makeLu();
    await lu.device.write(Buffer.alloc(1024, 0x11), 10 * 512);
    const data = Buffer.concat([Buffer.alloc(1024, 0x11), Buffer.alloc(1024, 0x22)]);
    const r = await exec(lu, A, writeCdb16(CAW, 10, 2), data);
    expect(r.status).toBe(ScsiStatus.GOOD);
    expect(await readBlocks(lu, 10, 2)).toEqual(Buffer.alloc(1024, 0x22));
  });

  it('a miscompare reports MISCOMPARE 1Dh/00h with INFORMATION = offset of the first differing byte', async () => {
    const lu = await makeLu();
    const medium = Buffer.alloc(1024, 0x11);
    medium[700] = 0x99;
    await lu.device.write(medium, 0);
    const data = Buffer.concat([Buffer.alloc(1024, 0x11), Buffer.alloc(1024, 0x22)]);
    const r = await exec(lu, A, writeCdb16(CAW, 0, 2), data);
    expect(r.status).toBe(ScsiStatus.CHECK_CONDITION);
    expect(r.sense!.key).toBe(0x0e);
    expect(r.sense!.asc).toEqual([0x1d, 0x00]);
    expect(r.sense!.information).toBe(700n);
    const fixed = encodeFixedSense(r.sense!);
    expect(fixed[0]! & 0x80).toBe(0x80);
    expect(fixed.readUInt32BE(3)).toBe(700);
    expect(await readBlocks(lu, 0, 2)).toEqual(medium);
  });

  it('zero blocks is GOOD and transfers nothing; with Data-Out expected it is an invalid CDB', async () => {
    const lu = await makeLu();
    const r = await exec(lu, A, writeCdb16(CAW, 5, 0));
    expect(r.status).toBe(ScsiStatus.GOOD);
    // A 256-block request wraps the one-byte count to 0 but still announces 2 x 256 blocks.
    const wrapped = await exec(lu, A, writeCdb16(CAW, 0, 0), Buffer.alloc(2 * 256 * 512));
    expect(wrapped.sense!.asc).toEqual([0x24, 0x00]);
  });

  it('a transfer length other than 2 x blocks is rejected before any data moves', async () => {
    const lu = await makeLu();
    for (const len of [512, 2048]) {
      const r = await exec(lu, A, writeCdb16(CAW, 0, 1), Buffer.alloc(len), len);
      expect(r.status).toBe(ScsiStatus.CHECK_CONDITION);
      expect(r.sense!.key).toBe(0x05);
    }
  });

  it('beyond the end of the medium is LBA OUT OF RANGE; WRPROTECT is an invalid field', async () => {
    const lu = await makeLu({ blocks: 64 });
    const eol = await exec(lu, A, writeCdb16(CAW, 63, 2), Buffer.alloc(2048));
    expect(eol.sense!.asc).toEqual([0x21, 0x00]);
    const wrp = await exec(lu, A, writeCdb16(CAW, 0, 1, 0x20), Buffer.alloc(1024));
    expect(wrp.sense!.field).toMatchObject({ inCdb: true, byte: 1 });
  });

  it('FUA makes the write a FUA write', async () => {
    const lu = await makeLu();
    const data = Buffer.concat([Buffer.alloc(512), Buffer.alloc(512, 1)]);
    await exec(lu, A, writeCdb16(CAW, 0, 1, 0x08), data);
    expect((lu.device as MemoryBlockStore).fuaWriteCount).toBe(1);
  });
});
