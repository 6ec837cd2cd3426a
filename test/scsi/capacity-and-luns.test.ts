import { describe, expect, it } from 'vitest';
import { rig, senseOf, be32 } from './helpers.js';

describe('READ CAPACITY and REPORT LUNS', () => {
  it('READ CAPACITY(10) and (16) report the last LBA and block size', async () => {
    const { exec } = await rig({ blocks: 4096, blockSize: 512 });
    const r10 = (await exec([0x25, 0, 0, 0, 0, 0, 0, 0, 0, 0])).dataIn!;
    expect(r10.readUInt32BE(0)).toBe(4095);
    expect(r10.readUInt32BE(4)).toBe(512);
    const r16 = (await exec([0x9e, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, ...be32(32), 0, 0])).dataIn!;
    expect(Number(r16.readBigUInt64BE(0))).toBe(4095);
    expect(r16[13]! & 0x0f).toBe(0); // one logical block per physical block
  });

  it('READ CAPACITY(10) with PMI=0 and a nonzero LBA is INVALID FIELD IN CDB', async () => {
    const { exec } = await rig();
    expect(senseOf(await exec([0x25, 0, 0, 0, 0, 1, 0, 0, 0, 0]))).toMatchObject({ key: 5, asc: 0x24 });
  });

  it('REPORT LUNS rejects allocation length < 16 and unknown SELECT REPORT', async () => {
    const { exec } = await rig();
    expect(senseOf(await exec([0xa0, 0, 0, 0, 0, 0, ...be32(15), 0, 0]))).toMatchObject({ key: 5, asc: 0x24 });
    expect(senseOf(await exec([0xa0, 0, 0x07, 0, 0, 0, ...be32(64), 0, 0]))).toMatchObject({ key: 5, asc: 0x24 });
    const d = (await exec([0xa0, 0, 0x02, 0, 0, 0, ...be32(64), 0, 0])).dataIn!;
    expect(d.readUInt32BE(0)).toBe(8);
  });
});
