import { describe, expect, it } from 'vitest';
import { rig, nexus, senseOf, fieldPointerOf, read10, write10 } from './helpers.js';
import { ScsiStatus } from '../../src/scsi/types.js';

async function controlPage(exec: Awaited<ReturnType<typeof rig>>['exec'], pc = 0): Promise<Buffer> {
  const r = await exec([0x1a, 0x08, (pc << 6) | 0x0a, 0, 255, 0]);
  expect(r.status).toBe(ScsiStatus.GOOD);
  return r.dataIn!.subarray(4);
}

function modeSelect6(page: Buffer): { cdb: number[]; data: Buffer } {
  const data = Buffer.concat([Buffer.alloc(4), page]);
  return { cdb: [0x15, 0x10, 0, 0, data.length, 0], data };
}

describe('MODE SENSE / MODE SELECT', () => {
  it('D_SENSE set by MODE SELECT switches errors to descriptor format, and back', async () => {
    const { exec } = await rig();
    expect(senseOf(await exec(read10(5000, 1))).format).toBe(0x70);
    const page = Buffer.from(await controlPage(exec));
    page[2]! |= 0x04;
    const sel = modeSelect6(page);
    expect((await exec(sel.cdb, sel.data)).status).toBe(ScsiStatus.GOOD);
    expect((await controlPage(exec))[2]! & 0x04).toBe(0x04);
    expect(senseOf(await exec(read10(5000, 1)))).toMatchObject({ format: 0x72, key: 0x05, asc: 0x21 });
    page[2]! &= ~0x04;
    const back = modeSelect6(page);
    await exec(back.cdb, back.data);
    expect(senseOf(await exec(read10(5000, 1))).format).toBe(0x70);
  });

  it('changing a non-changeable field is INVALID FIELD IN PARAMETER LIST with a pointer', async () => {
    const { exec } = await rig();
    const page = Buffer.from(await controlPage(exec));
    page[3] = 0x00; // QUEUE ALGORITHM MODIFIER is not changeable
    const sel = modeSelect6(page);
    const r = await exec(sel.cdb, sel.data);
    expect(senseOf(r)).toMatchObject({ key: 0x05, asc: 0x26, ascq: 0 });
    expect(fieldPointerOf(r)).toEqual({ cd: false, byte: 4 + 3, bit: 4 });
  });

  it('a change raises MODE PARAMETERS CHANGED for other nexuses', async () => {
    const { exec, target } = await rig();
    target.nexusSeen(nexus(2));
    await exec([0x00], undefined, nexus(2));
    const page = Buffer.from(await controlPage(exec));
    page[2]! |= 0x04;
    const sel = modeSelect6(page);
    await exec(sel.cdb, sel.data);
    expect(senseOf(await exec([0x00], undefined, nexus(2)))).toMatchObject({ key: 0x06, asc: 0x2a, ascq: 0x01 });
    expect((await exec([0x00])).status).toBe(ScsiStatus.GOOD);
  });

  it('SWP makes the LU write protected and sets WP in the header', async () => {
    const { exec } = await rig();
    const page = Buffer.from(await controlPage(exec));
    page[4]! |= 0x08;
    const sel = modeSelect6(page);
    await exec(sel.cdb, sel.data);
    expect(senseOf(await exec(write10(0, 1), Buffer.alloc(512)))).toMatchObject({ key: 0x07, asc: 0x27 });
    const ms = await exec([0x1a, 0, 0x3f, 0, 255, 0]);
    expect(ms.dataIn![2]! & 0x80).toBe(0x80);
  });

  it('PC=saved is SAVING PARAMETERS NOT SUPPORTED; SP=1 is INVALID FIELD IN CDB', async () => {
    const { exec } = await rig();
    expect(senseOf(await exec([0x1a, 0, 0xca, 0, 255, 0]))).toMatchObject({ key: 0x05, asc: 0x39 });
    const r = await exec([0x15, 0x11, 0, 0, 0, 0]);
    expect(fieldPointerOf(r)).toEqual({ cd: true, byte: 1, bit: 0 });
  });

  it('all pages (3Fh) carry the block descriptor and every page; MODE SENSE(10) LLBAA gives a long one', async () => {
    const { exec } = await rig({ blocks: 2048 });
    const r6 = await exec([0x1a, 0, 0x3f, 0xff, 255, 0]);
    const d = r6.dataIn!;
    expect(d[0]).toBe(d.length - 1);
    expect(d[3]).toBe(8);
    expect(d.readUInt32BE(4)).toBe(2048);
    const codes: number[] = [];
    for (let i = 12; i < d.length; i += d[i + 1]! + 2) codes.push(d[i]! & 0x3f);
    expect(codes).toEqual([0x01, 0x08, 0x0a, 0x1c]);
    const r10 = await exec([0x5a, 0x10, 0x08, 0, 0, 0, 0, 0x01, 0, 0]);
    expect(r10.dataIn![4]! & 1).toBe(1);
    expect(r10.dataIn!.readUInt16BE(6)).toBe(16);
    expect(Number(r10.dataIn!.readBigUInt64BE(8))).toBe(2048);
  });

  it('a truncated page is PARAMETER LIST LENGTH ERROR', async () => {
    const { exec } = await rig();
    const page = await controlPage(exec);
    const sel = modeSelect6(page.subarray(0, 6));
    expect(senseOf(await exec(sel.cdb, sel.data))).toMatchObject({ key: 0x05, asc: 0x1a });
  });
});
