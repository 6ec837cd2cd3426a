import { describe, expect, it } from 'vitest';
import { rig, senseOf, write10, be32, be16 } from './helpers.js';
import { ScsiStatus } from '../../src/scsi/types.js';

const verify10 = (lba: number, blocks: number, bytchk: number) => [0x2f, bytchk << 1, ...be32(lba), 0, ...be16(blocks), 0];

describe('VERIFY', () => {
  it('BYTCHK=01 matches, and a flipped byte is MISCOMPARE with INFORMATION = its offset', async () => {
    const { exec } = await rig();
    const data = Buffer.alloc(1024, 0x11);
    await exec(write10(4, 2), data);
    expect((await exec(verify10(4, 2, 1), data)).status).toBe(ScsiStatus.GOOD);
    const bad = Buffer.from(data);
    bad[700] ^= 0x58;
    const r = await exec(verify10(4, 2, 1), bad);
    expect(senseOf(r)).toMatchObject({ key: 0x0e, asc: 0x1d, ascq: 0 });
    expect(r.sense![0]! & 0x80).toBe(0x80);
    expect(r.sense!.readUInt32BE(3)).toBe(700);
  });

  it('BYTCHK=11 compares one block against each block of the range', async () => {
    const { exec } = await rig();
    await exec(write10(0, 3), Buffer.alloc(1536, 0x22));
    expect((await exec(verify10(0, 3, 3), Buffer.alloc(512, 0x22))).status).toBe(ScsiStatus.GOOD);
    await exec(write10(2, 1), Buffer.alloc(512, 0x23));
    const r = await exec(verify10(0, 3, 3), Buffer.alloc(512, 0x22));
    expect(r.sense!.readUInt32BE(3)).toBe(1024);
  });

  it('BYTCHK=00 needs no data and range-checks; BYTCHK=10 is INVALID FIELD IN CDB', async () => {
    const { exec } = await rig({ blocks: 10 });
    expect((await exec(verify10(0, 10, 0))).status).toBe(ScsiStatus.GOOD);
    expect(senseOf(await exec(verify10(5, 10, 0)))).toMatchObject({ asc: 0x21 });
    expect(senseOf(await exec(verify10(0, 1, 2)))).toMatchObject({ key: 5, asc: 0x24 });
  });

  it('WRITE AND VERIFY(10) writes the data', async () => {
    const { exec } = await rig();
    const data = Buffer.alloc(512, 0x44);
    expect((await exec([0x2e, 0x02, ...be32(1), 0, ...be16(1), 0], data)).status).toBe(ScsiStatus.GOOD);
    expect((await exec(verify10(1, 1, 1), data)).status).toBe(ScsiStatus.GOOD);
  });
});
