import { describe, expect, it } from 'vitest';
import { ScsiStatus } from '../../../src/scsi/types.js';
import { A, exec, makeLu, readBlocks, writeCdb16 } from './helpers.js';

describe('ORWRITE(16)', () => {
  it('ORs the Data-Out into the medium', async () => {
    const lu = await makeLu();
    await lu.device.write(Buffer.alloc(1024, 0x0f), 4 * 512);
    const r = await exec(lu, A, writeCdb16(0x8b, 4, 2), Buffer.alloc(1024, 0xa0));
    expect(r.status).toBe(ScsiStatus.GOOD);
    expect(await readBlocks(lu, 4, 2)).toEqual(Buffer.alloc(1024, 0xaf));
    expect(await readBlocks(lu, 6, 1)).toEqual(Buffer.alloc(512));
  });

  it('zero blocks is GOOD; past the end is LBA OUT OF RANGE; ORPROTECT is an invalid field', async () => {
    const lu = await makeLu({ blocks: 64 });
    expect((await exec(lu, A, writeCdb16(0x8b, 3, 0))).status).toBe(ScsiStatus.GOOD);
    expect((await exec(lu, A, writeCdb16(0x8b, 63, 2), Buffer.alloc(1024))).sense!.asc).toEqual([0x21, 0x00]);
    expect((await exec(lu, A, writeCdb16(0x8b, 0, 1, 0x20), Buffer.alloc(512))).sense!.field).toMatchObject({ byte: 1 });
  });
});
