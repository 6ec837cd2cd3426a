import { describe, expect, it } from 'vitest';
import { rig, read10, write10, senseOf, fieldPointerOf, be32 } from './helpers.js';
import { ScsiStatus } from '../../src/scsi/types.js';
import { MAX_TRANSFER_BYTES } from '../../src/scsi/limits.js';

describe('range and size checks', () => {
  it('READ(10) past the last block is LBA OUT OF RANGE', async () => {
    const { exec } = await rig({ blocks: 100 });
    const r = await exec(read10(99, 2));
    expect(r.status).toBe(ScsiStatus.CHECK_CONDITION);
    expect(senseOf(r)).toMatchObject({ key: 0x05, asc: 0x21, ascq: 0x00 });
  });

  it('the last block itself is readable', async () => {
    const { exec } = await rig({ blocks: 100 });
    expect((await exec(read10(99, 1))).status).toBe(ScsiStatus.GOOD);
  });

  it('READ(16) at LBA 2^64-1 does not wrap around', async () => {
    const { exec } = await rig({ blocks: 100 });
    const r = await exec([0x88, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, ...be32(1), 0, 0]);
    expect(senseOf(r)).toMatchObject({ key: 0x05, asc: 0x21 });
  });

  it('zero blocks beyond the end is still out of range', async () => {
    const { exec } = await rig({ blocks: 100 });
    expect(senseOf(await exec(write10(101, 0), Buffer.alloc(0)))).toMatchObject({ asc: 0x21 });
  });

  it('a transfer above MAX_TRANSFER_BYTES is INVALID FIELD IN CDB at the length byte', async () => {
    const blocks = MAX_TRANSFER_BYTES / 512 + 1;
    const { exec } = await rig({ blocks: blocks + 10 });
    const r = await exec([0xa8, 0, ...be32(0), ...be32(blocks), 0, 0]);
    expect(senseOf(r)).toMatchObject({ key: 0x05, asc: 0x24 });
    expect(fieldPointerOf(r)).toMatchObject({ cd: true, byte: 6 });
  });

  it('RDPROTECT nonzero is INVALID FIELD IN CDB (no protection information)', async () => {
    const { exec } = await rig();
    const cdb = read10(0, 1);
    cdb[1] = 0x20;
    const r = await exec(cdb);
    expect(senseOf(r)).toMatchObject({ key: 0x05, asc: 0x24 });
    expect(fieldPointerOf(r)).toMatchObject({ cd: true, byte: 1 });
  });
});
