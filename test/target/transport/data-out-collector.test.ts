import { describe, expect, it } from 'vitest';
import type { DataOutPdu } from '../../../src/iscsi/pdu/data-out.js';
import { DataOutCollector } from '../../../src/target/data-out.js';

const base = { firstBurstLength: 1024, maxBurstLength: 2048, maxOutstandingR2T: 2 };

function dout(ttt: number, dataSN: number, bufferOffset: number, final: boolean): DataOutPdu {
  return { final, lun: 0n, itt: 1, ttt, expStatSN: 0, dataSN, bufferOffset };
}

describe('Data-Out collection', () => {
  it('takes immediate data, then solicits the rest in MaxBurstLength R2Ts, MaxOutstandingR2T at a time', () => {
    const c = new DataOutCollector({ ...base, wanted: 6000, expectedLength: 6000, unsolicitedFollows: false });
    expect(c.acceptImmediate(Buffer.alloc(512, 1))).toBeUndefined();
    let ttt = 100;
    const r2ts = c.nextR2ts(() => ttt++);
    expect(r2ts).toEqual([
      { ttt: 100, r2tSN: 0, offset: 512, length: 2048 },
      { ttt: 101, r2tSN: 1, offset: 2560, length: 2048 },
    ]);
    expect(c.acceptDataOut(dout(100, 0, 512, false), Buffer.alloc(1024, 2))).toBeUndefined();
    expect(c.acceptDataOut(dout(100, 1, 1536, true), Buffer.alloc(1024, 3))).toBeUndefined();
    const next = c.nextR2ts(() => ttt++);
    expect(next).toEqual([{ ttt: 102, r2tSN: 2, offset: 4608, length: 1392 }]);
    expect(c.acceptDataOut(dout(101, 0, 2560, true), Buffer.alloc(2048, 4))).toBeUndefined();
    expect(c.acceptDataOut(dout(102, 0, 4608, true), Buffer.alloc(1392, 5))).toBeUndefined();
    expect(c.complete).toBe(true);
    expect(c.buffer[0]).toBe(1);
    expect(c.buffer[600]).toBe(2);
    expect(c.buffer[5999]).toBe(5);
    expect(c.r2tsSent).toBe(3);
  });

  it('accepts the unsolicited burst before soliciting', () => {
    const c = new DataOutCollector({ ...base, wanted: 3000, expectedLength: 3000, unsolicitedFollows: true });
    c.acceptImmediate(Buffer.alloc(100));
    expect(c.nextR2ts(() => 1)).toEqual([]);
    expect(c.acceptDataOut(dout(0xffffffff, 0, 100, true), Buffer.alloc(924))).toBeUndefined();
    expect(c.nextR2ts(() => 7)).toEqual([{ ttt: 7, r2tSN: 0, offset: 1024, length: 1976 }]);
  });

  it('rejects wrong DataSN, wrong offsets, overruns and misplaced F bits', () => {
    const mk = () => {
      const c = new DataOutCollector({ ...base, wanted: 1024, expectedLength: 1024, unsolicitedFollows: false });
      c.nextR2ts(() => 9);
      return c;
    };
    expect(mk().acceptDataOut(dout(9, 1, 0, true), Buffer.alloc(1024))).toMatch(/DataSN/);
    expect(mk().acceptDataOut(dout(9, 0, 512, true), Buffer.alloc(512))).toMatch(/offset/);
    expect(mk().acceptDataOut(dout(9, 0, 0, true), Buffer.alloc(2048))).toMatch(/beyond/);
    expect(mk().acceptDataOut(dout(9, 0, 0, true), Buffer.alloc(512))).toMatch(/F bit/);
    expect(mk().acceptDataOut(dout(9, 0, 0, false), Buffer.alloc(1024))).toMatch(/F bit/);
    expect(mk().acceptDataOut(dout(8, 0, 0, true), Buffer.alloc(1024))).toMatch(/TTT/);
    expect(mk().acceptDataOut(dout(0xffffffff, 0, 0, true), Buffer.alloc(1024))).toMatch(/unsolicited/);
  });

  it('keeps only what the command needs when EDTL exceeds it', () => {
    const c = new DataOutCollector({ ...base, wanted: 512, expectedLength: 1024, unsolicitedFollows: false });
    expect(c.acceptImmediate(Buffer.alloc(1024, 7))).toBeUndefined();
    expect(c.complete).toBe(true);
    expect(c.buffer.length).toBe(512);
  });
});
