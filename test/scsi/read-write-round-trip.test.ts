import { describe, expect, it } from 'vitest';
import { rig, read10, write10, be32, be16 } from './helpers.js';
import { ScsiStatus } from '../../src/scsi/types.js';

describe('READ/WRITE round trip', () => {
  it('reads back what WRITE(10) wrote', async () => {
    const { exec } = await rig();
    const data = Buffer.alloc(3 * 512);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7) & 0xff;
    expect((await exec(write10(5, 3), data)).status).toBe(ScsiStatus.GOOD);
    const r = await exec(read10(5, 3));
    expect(r.status).toBe(ScsiStatus.GOOD);
    expect(r.dataIn!.equals(data)).toBe(true);
  });

  it('READ(16) and WRITE(16) address 64-bit LBAs', async () => {
    const { exec } = await rig();
    const data = Buffer.alloc(512, 0xab);
    const lba = [0, 0, 0, 0, ...be32(1000)];
    expect((await exec([0x8a, 0, ...lba, ...be32(1), 0, 0], data)).status).toBe(ScsiStatus.GOOD);
    const r = await exec([0x88, 0, ...lba, ...be32(1), 0, 0]);
    expect(r.dataIn!.equals(data)).toBe(true);
  });

  it('READ(6) transfer length 0 means 256 blocks', async () => {
    const { exec } = await rig();
    const r = await exec([0x08, 0, 0, 0, 0, 0]);
    expect(r.status).toBe(ScsiStatus.GOOD);
    expect(r.dataIn!.length).toBe(256 * 512);
  });

  it('zero-length READ(10) is GOOD with no data', async () => {
    const { exec } = await rig();
    const r = await exec(read10(0, 0));
    expect(r.status).toBe(ScsiStatus.GOOD);
    expect(r.dataIn).toBeUndefined();
  });

  it('FUA on WRITE(10) asks the device for a durable write', async () => {
    const { exec, store } = await rig();
    await exec(write10(0, 1, 0x08), Buffer.alloc(512));
    expect(store.fuaWriteCount).toBe(1);
  });

  it('a short Data-Out writes only the whole blocks received', async () => {
    const { exec } = await rig();
    await exec(write10(0, 2), Buffer.alloc(1024, 0x61));
    await exec(write10(0, 2), Buffer.alloc(512, 0x62));
    const r = await exec(read10(0, 2));
    expect(r.dataIn![0]).toBe(0x62);
    expect(r.dataIn![512]).toBe(0x61);
  });

  it('WRITE(12) data is readable with READ(12)', async () => {
    const { exec } = await rig();
    const data = Buffer.alloc(512, 0x5a);
    await exec([0xaa, 0, ...be32(9), ...be32(1), 0, 0], data);
    const r = await exec([0xa8, 0, ...be32(9), ...be32(1), 0, 0]);
    expect(r.dataIn!.equals(data)).toBe(true);
    expect(be16(1)).toEqual([0, 1]);
  });
});
