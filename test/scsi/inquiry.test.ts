import { describe, expect, it } from 'vitest';
import { rig, senseOf, fieldPointerOf } from './helpers.js';
import { ScsiStatus } from '../../src/scsi/types.js';
import { MAX_TRANSFER_BYTES } from '../../src/scsi/limits.js';

const inq = (evpd: number, page: number, alloc = 255) => [0x12, evpd, page, alloc >> 8, alloc & 0xff, 0];

describe('INQUIRY', () => {
  it('RMB follows the removable option (off by default, like a fixed disk)', async () => {
    expect((await (await rig()).exec(inq(0, 0, 36))).dataIn![1]).toBe(0x00);
    expect((await (await rig({ removable: true })).exec(inq(0, 0, 36))).dataIn![1]).toBe(0x80);
  });

  it('standard data: SPC-4, format 2, consistent additional length, version descriptors', async () => {
    const { exec } = await rig();
    const d = (await exec(inq(0, 0, 260))).dataIn!;
    expect(d[0]).toBe(0);
    expect(d[2]).toBe(6);
    expect(d[3]! & 0x0f).toBe(2);
    expect(d[4]).toBe(d.length - 5);
    const descriptors = [0, 1, 2, 3].map((i) => d.readUInt16BE(58 + 2 * i));
    expect(descriptors).toEqual([0x00a0, 0x0460, 0x04c0, 0x0960]);
  });

  it('allocation length truncates without error', async () => {
    const { exec } = await rig();
    for (const n of [0, 1, 5, 36]) {
      const r = await exec(inq(0, 0, n));
      expect(r.status).toBe(ScsiStatus.GOOD);
      expect(r.dataIn?.length ?? 0).toBe(n);
    }
  });

  it('page code without EVPD, CmdDt and unknown VPD pages are INVALID FIELD IN CDB', async () => {
    const { exec } = await rig();
    expect(fieldPointerOf(await exec(inq(0, 0x80)))).toMatchObject({ cd: true, byte: 2 });
    expect(fieldPointerOf(await exec(inq(2, 0)))).toMatchObject({ cd: true, byte: 1, bit: 1 });
    expect(senseOf(await exec(inq(1, 0xc7)))).toMatchObject({ key: 5, asc: 0x24 });
  });

  it('every page in the supported list is served with a correct page length', async () => {
    const { exec } = await rig();
    const list = (await exec(inq(1, 0))).dataIn!;
    const pages = [...list.subarray(4, 4 + list.readUInt16BE(2))];
    expect(pages).toEqual([0x00, 0x80, 0x83, 0x86, 0xb0, 0xb1, 0xb2, 0xc0]);
    for (const p of pages) {
      const d = (await exec(inq(1, p))).dataIn!;
      expect(d[1]).toBe(p);
      expect(d.length).toBe(d.readUInt16BE(2) + 4);
    }
  });

  it('device identification carries a type-6 NAA stable for the same LU', async () => {
    const a = await rig();
    const b = await rig();
    const d = (await a.exec(inq(1, 0x83))).dataIn!;
    expect(d[4 + 1]! & 0x0f).toBe(3);
    expect(d[4 + 3]).toBe(16);
    expect(d[8]! >> 4).toBe(6);
    expect((await b.exec(inq(1, 0x83))).dataIn!.equals(d)).toBe(true);
  });

  it('block limits: SBC-3 length, maximum transfer length from MAX_TRANSFER_BYTES, no UNMAP limits without UNMAP', async () => {
    const { exec } = await rig();
    const d = (await exec(inq(1, 0xb0))).dataIn!;
    expect(d[3]).toBe(0x3c);
    expect(d.readUInt32BE(8)).toBe(MAX_TRANSFER_BYTES / 512);
    expect(d.readUInt32BE(20)).toBe(0);
    expect(d.readUInt32BE(24)).toBe(0);
    const lbp = (await exec(inq(1, 0xb2))).dataIn!;
    expect(lbp[5]! & 0x80).toBe(0);
  });
});
