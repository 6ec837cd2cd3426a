import { describe, expect, it } from 'vitest';
import { ScsiStatus } from '../../../src/scsi/types.js';
import { MemoryBlockStore } from '../../../src/block/memory-store.js';
import { A, exec, isFilled, makeLu, readBlocks, writeCdb16, writeSame10Cdb } from './helpers.js';

const pattern = (v: number) => Buffer.alloc(512, v);

describe('WRITE SAME', () => {
  it('WRITE SAME(10) repeats the block over the range and nowhere else', async () => {
    const lu = await makeLu();
    const r = await exec(lu, A, writeSame10Cdb(8, 20), pattern(0x5a));
    expect(r.status).toBe(ScsiStatus.GOOD);
    expect(isFilled(await readBlocks(lu, 8, 20), 0x5a)).toBe(true);
    expect(await readBlocks(lu, 7, 1)).toEqual(Buffer.alloc(512));
    expect(await readBlocks(lu, 28, 1)).toEqual(Buffer.alloc(512));
  });

  it('WRITE SAME(16) over more than one fill chunk writes every block', async () => {
    const lu = await makeLu({ blocks: 8192 });
    const block = Buffer.alloc(512);
    block.write('tandem', 0);
    const r = await exec(lu, A, writeCdb16(0x93, 100, 5000), block);
    expect(r.status).toBe(ScsiStatus.GOOD);
    const back = await readBlocks(lu, 100, 5000);
    for (let i = 0; i < 5000; i += 997) expect(back.subarray(i * 512, (i + 1) * 512)).toEqual(block);
    expect(back.subarray(4999 * 512)).toEqual(block);
  });

  // Whatever the block holds, as libiscsi's WriteSame10/16.UnmapUntilEnd expects (0xFF blocks, zeroes back under LBPRZ=1).
  it('UNMAP bit: the range reads back as zeroes and aligned chunks are deallocated', async () => {
    const lu = await makeLu({ blocks: 4096 });
    const store = lu.device as MemoryBlockStore;
    await exec(lu, A, writeSame10Cdb(0, 1024), pattern(0xff));
    const mappedBefore = store.allocatedChunks;
    const r = await exec(lu, A, writeSame10Cdb(1, 600, 0x08), pattern(0xff));
    expect(r.status).toBe(ScsiStatus.GOOD);
    expect(isFilled(await readBlocks(lu, 1, 600), 0)).toBe(true);
    expect(await readBlocks(lu, 0, 1)).toEqual(pattern(0xff));
    expect(await readBlocks(lu, 601, 1)).toEqual(pattern(0xff));
    expect(store.allocatedChunks).toBeLessThan(mappedBefore);
  });

  it('zero blocks means "to the end of the medium"', async () => {
    const lu = await makeLu({ blocks: 256 });
    const r = await exec(lu, A, writeSame10Cdb(250, 0), pattern(0x33));
    expect(r.status).toBe(ScsiStatus.GOOD);
    expect(await readBlocks(lu, 250, 6)).toEqual(Buffer.alloc(6 * 512, 0x33));
  });

  it('past the end is LBA OUT OF RANGE, including zero blocks at or beyond the last LBA + 1', async () => {
    const lu = await makeLu({ blocks: 256 });
    for (const [lba, n] of [[255, 2], [256, 0], [257, 0], [0xffffffff, 0]] as const) {
      const r = await exec(lu, A, writeSame10Cdb(lba, n), pattern(1));
      expect(r.sense?.asc).toEqual([0x21, 0x00]);
    }
  });

  it('ANCHOR and WRPROTECT are invalid CDB fields', async () => {
    const lu = await makeLu();
    expect((await exec(lu, A, writeSame10Cdb(0, 1, 0x18), pattern(0))).sense!.field).toMatchObject({ inCdb: true, byte: 1, bit: 4 });
    expect((await exec(lu, A, writeSame10Cdb(0, 1, 0x20), pattern(0))).sense!.field).toMatchObject({ inCdb: true, byte: 1 });
  });

  it('a Data-Out length other than one block is rejected', async () => {
    const lu = await makeLu();
    for (const len of [256, 1024]) {
      const r = await exec(lu, A, writeSame10Cdb(0, 1, 0x08), Buffer.alloc(len, 0xa6), len);
      expect(r.status).toBe(ScsiStatus.CHECK_CONDITION);
      expect(r.sense!.key).toBe(0x05);
    }
  });

  it('NDOB writes zeroes with no Data-Out', async () => {
    const lu = await makeLu();
    await lu.device.write(Buffer.alloc(4 * 512, 9), 0);
    const r = await exec(lu, A, writeCdb16(0x93, 0, 4, 0x01));
    expect(r.status).toBe(ScsiStatus.GOOD);
    expect(await readBlocks(lu, 0, 4)).toEqual(Buffer.alloc(4 * 512));
  });

  it('more blocks than MAXIMUM WRITE SAME LENGTH is INVALID FIELD IN CDB at the count', async () => {
    const lu = await makeLu({ blocks: 4096 });
    const r = await exec(lu, A, writeCdb16(0x93, 0, 0x7fffffff), pattern(0));
    expect(r.sense!.asc).toEqual([0x24, 0x00]);
    expect(r.sense!.field).toMatchObject({ inCdb: true, byte: 10 });
  });
});
