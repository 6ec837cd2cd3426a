import { describe, expect, it } from 'vitest';
import { ScsiStatus } from '../../../src/scsi/types.js';
import { A, B, SA, exec, makeLu, prInCdb, prOut, register } from './helpers.js';

describe('PERSISTENT RESERVE IN', () => {
  it.each([4, 5, 0x1f])('service action %i is INVALID FIELD IN CDB pointing at byte 1', async (sa) => {
    const lu = await makeLu();
    const r = await exec(lu, A, prInCdb(sa));
    expect(r.status).toBe(ScsiStatus.CHECK_CONDITION);
    expect(r.sense!.asc).toEqual([0x24, 0x00]);
    expect(r.sense!.field).toMatchObject({ inCdb: true, byte: 1 });
  });

  it('READ KEYS truncated to 8 bytes keeps the untruncated ADDITIONAL LENGTH', async () => {
    const lu = await makeLu();
    await register(lu, A, 0x1234n);
    const r = await exec(lu, A, prInCdb(0, 8));
    expect(r.data!.length).toBe(8);
    expect(r.data!.readUInt32BE(4)).toBe(8);
  });

  it('REPORT CAPABILITIES: length 8, type mask valid with all six types, PTPL_C, SIP_C and ATP_C', async () => {
    const lu = await makeLu();
    const d = (await exec(lu, A, prInCdb(2))).data!;
    expect(d.readUInt16BE(0)).toBe(8);
    expect(d[2]! & 0x01).toBe(1); // PTPL_C
    expect(d[2]! & 0x08).toBe(8); // SIP_C
    expect(d[2]! & 0x04).toBe(4); // ATP_C
    expect(d[3]! & 0x80).toBe(0x80); // TMV
    expect((d[3]! >> 4) & 7).toBeLessThanOrEqual(5);
    expect(d[4]).toBe(0xea);
    expect(d[5]).toBe(0x01);
  });

  it('READ FULL STATUS lists each registrant with an iSCSI TransportID and marks the holder', async () => {
    const lu = await makeLu();
    await register(lu, A, 0xaan);
    await register(lu, B, 0xbbn);
    await prOut(lu, A, SA.RESERVE, 1, 0xaan);
    const d = (await exec(lu, A, prInCdb(3))).data!;
    expect(d.readUInt32BE(4)).toBe(d.length - 8);
    let off = 8;
    const seen: Array<{ key: bigint; holder: boolean; name: string }> = [];
    while (off < d.length) {
      const tidLen = d.readUInt32BE(off + 20);
      const tid = d.subarray(off + 24, off + 24 + tidLen);
      expect(tid[0]).toBe(0x45); // format 01b, protocol iSCSI
      expect(tidLen % 4).toBe(0);
      expect(tid.readUInt16BE(2)).toBe(tidLen - 4);
      seen.push({
        key: d.readBigUInt64BE(off),
        holder: (d[off + 12]! & 1) === 1,
        name: tid.subarray(4).toString('utf8').replace(/\0+$/, ''),
      });
      if (d[off + 12]! & 1) expect(d[off + 13]).toBe(0x01);
      expect(d.readUInt16BE(off + 18)).toBe(1);
      off += 24 + tidLen;
    }
    expect(seen).toEqual([
      { key: 0xaan, holder: true, name: `${A.initiatorName},i,0x${A.isid}` },
      { key: 0xbbn, holder: false, name: `${B.initiatorName},i,0x${B.isid}` },
    ]);
  });
});
