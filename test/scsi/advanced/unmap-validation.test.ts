import { describe, expect, it } from 'vitest';
import { ScsiStatus } from '../../../src/scsi/types.js';
import { MAX_UNMAP_LBA_COUNT } from '../../../src/replica-protocol/index.js';
import { MAX_UNMAP_DESCRIPTORS } from '../../../src/scsi/limits.js';
import { A, exec, makeLu, readBlocks, unmapCdb, unmapParams } from './helpers.js';

describe('UNMAP', () => {
  it('deallocates each range so it reads back as zeroes', async () => {
    const lu = await makeLu();
    await lu.device.write(Buffer.alloc(64 * 512, 0xee), 0);
    const p = unmapParams([[2, 3], [10, 1]]);
    expect((await exec(lu, A, unmapCdb(p.length), p)).status).toBe(ScsiStatus.GOOD);
    const back = await readBlocks(lu, 0, 12);
    expect(back.subarray(2 * 512, 5 * 512)).toEqual(Buffer.alloc(3 * 512));
    expect(back.subarray(10 * 512, 11 * 512)).toEqual(Buffer.alloc(512));
    expect(back.subarray(5 * 512, 10 * 512)).toEqual(Buffer.alloc(5 * 512, 0xee));
  });

  it('a zero-length list, an empty list and zero-block descriptors are GOOD', async () => {
    const lu = await makeLu();
    expect((await exec(lu, A, unmapCdb(0))).status).toBe(ScsiStatus.GOOD);
    const empty = unmapParams([]);
    expect((await exec(lu, A, unmapCdb(empty.length), empty)).status).toBe(ScsiStatus.GOOD);
    const zero = unmapParams([[0, 0], [lu.blockCount, 0]]);
    expect((await exec(lu, A, unmapCdb(zero.length), zero)).status).toBe(ScsiStatus.GOOD);
  });

  it('a list length of 1..7 is PARAMETER LIST LENGTH ERROR', async () => {
    const lu = await makeLu();
    const r = await exec(lu, A, unmapCdb(7), Buffer.alloc(7));
    expect(r.sense!.asc).toEqual([0x1a, 0x00]);
  });

  it('too many descriptors points at the block descriptor data length', async () => {
    const lu = await makeLu();
    const p = unmapParams(Array.from({ length: MAX_UNMAP_DESCRIPTORS + 1 }, (_, i) => [i, 1] as [number, number]));
    const r = await exec(lu, A, unmapCdb(p.length), p);
    expect(r.sense!.asc).toEqual([0x26, 0x00]);
    expect(r.sense!.field).toEqual({ inCdb: false, byte: 2, bit: undefined });
  });

  it('an LBA count above the maximum points at that descriptor\'s count', async () => {
    const lu = await makeLu({ blocks: 4096 });
    const p = unmapParams([[0, 1], [0, MAX_UNMAP_LBA_COUNT + 1]]);
    const r = await exec(lu, A, unmapCdb(p.length), p);
    expect(r.sense!.field).toMatchObject({ inCdb: false, byte: 8 + 16 + 8 });
  });

  it('a range past the end is LBA OUT OF RANGE and nothing is unmapped', async () => {
    const lu = await makeLu({ blocks: 128 });
    await lu.device.write(Buffer.alloc(512, 1), 0);
    const p = unmapParams([[0, 1], [127, 2]]);
    const r = await exec(lu, A, unmapCdb(p.length), p);
    expect(r.sense!.asc).toEqual([0x21, 0x00]);
    expect(await readBlocks(lu, 0, 1)).toEqual(Buffer.alloc(512, 1));
  });

  it('ANCHOR is INVALID FIELD IN CDB byte 1 bit 0', async () => {
    const lu = await makeLu();
    const r = await exec(lu, A, unmapCdb(24, true), unmapParams([[0, 1]]));
    expect(r.sense!.field).toEqual({ inCdb: true, byte: 1, bit: 0 });
  });
});
