import { describe, expect, it } from 'vitest';
import { ScsiStatus } from '../../../src/scsi/types.js';
import { A, exec, isFilled, makeLu, readBlocks, writeCdb16, writeSame10Cdb } from './helpers.js';

// SBC-3 r36 §4.7.3.4.2 / §5.45 (WRITE SAME, UNMAP bit): with UNMAP=1 the device server may
// deallocate only when the Data-Out block is what a deallocated block reads as (we report
// LBPRZ=1: all zeroes); otherwise it performs the specified write. Either way the medium
// must hold the sent pattern afterwards.
describe.each([
  ['WRITE SAME(10)', (lba: number, blocks: number) => writeSame10Cdb(lba, blocks, 0x08)],
  ['WRITE SAME(16)', (lba: number, blocks: number) => writeCdb16(0x93, lba, blocks, 0x08)],
])('%s with UNMAP=1 and a non-zero pattern', (_name, cdb) => {
  it('writes the pattern over the range, it does not zero it', async () => {
    const lu = await makeLu({ blocks: 4096 });
    await lu.device.write(Buffer.alloc(64 * 512, 0x5a), 0);
    // A range with a discard-aligned middle: none of it may be deallocated.
    const r = await exec(lu, A, cdb(8, 40), Buffer.alloc(512, 0xa5));
    expect(r.status).toBe(ScsiStatus.GOOD);
    expect(isFilled(await readBlocks(lu, 8, 40), 0xa5)).toBe(true);
    expect(isFilled(await readBlocks(lu, 0, 8), 0x5a)).toBe(true);
    expect(isFilled(await readBlocks(lu, 48, 16), 0x5a)).toBe(true);
  });
});
