/**
 * COMPARE AND WRITE against a plain WRITE of the same blocks (SBC-3 §5.2: no other write to
 * them between the read and the write). Only serial outcomes: the WRITE's data survives, and
 * a CAW whose compare ran before the WRITE is not GOOD over it. The WRITE took no lock: one
 * completing while the CAW was between its read and its write was overwritten by the CAW's
 * GOOD (a host using CAW as a lock, as VMware's ATS does, lost a write it was told landed).
 */
import { describe, expect, it } from 'vitest';
import { ScsiStatus } from '../../../src/scsi/types.js';
import { A, B, exec, makeLu, readBlocks, writeCdb16 } from './helpers.js';

const BS = 512;

function gate(): { wait: Promise<void>; open: () => void } {
  let open!: () => void;
  const wait = new Promise<void>((r) => (open = r));
  return { wait, open };
}

describe('COMPARE AND WRITE and a plain WRITE of the same block', () => {
  it('a WRITE arriving while the CAW is between its read and its write waits for it: CAW GOOD, then the WRITE', async () => {
    const lu = await makeLu();
    const device = lu.device;
    const read = device.read.bind(device);
    const hold = gate();
    const cawRead = gate();
    device.read = async (buf, offset) => {
      await read(buf, offset);
      cawRead.open();
      await hold.wait;
    };
    const caw = exec(lu, A, writeCdb16(0x89, 5, 1), Buffer.concat([Buffer.alloc(BS, 0), Buffer.alloc(BS, 0xaa)]));
    await cawRead.wait;
    const write = exec(lu, B, writeCdb16(0x8a, 5, 1), Buffer.alloc(BS, 0xbb));
    hold.open();
    const [c, w] = await Promise.all([caw, write]);
    device.read = read;
    expect(c.status).toBe(ScsiStatus.GOOD);
    expect(w.status).toBe(ScsiStatus.GOOD);
    expect(await readBlocks(lu, 5, 1)).toEqual(Buffer.alloc(BS, 0xbb));
  });

  it('a CAW arriving while a WRITE of the block is in progress waits for it, then compares against its data', async () => {
    const lu = await makeLu();
    const device = lu.device;
    const write = device.write.bind(device);
    const hold = gate();
    const writing = gate();
    device.write = async (buf, offset, fua, h) => {
      writing.open();
      await hold.wait;
      return write(buf, offset, fua, h);
    };
    const w = exec(lu, B, writeCdb16(0x8a, 5, 1), Buffer.alloc(BS, 0xbb));
    await writing.wait;
    device.write = write;
    const caw = exec(lu, A, writeCdb16(0x89, 5, 1), Buffer.concat([Buffer.alloc(BS, 0), Buffer.alloc(BS, 0xaa)]));
    hold.open();
    const [wr, c] = await Promise.all([w, caw]);
    expect(wr.status).toBe(ScsiStatus.GOOD);
    expect(c.sense?.key).toBe(0x0e);
    expect(await readBlocks(lu, 5, 1)).toEqual(Buffer.alloc(BS, 0xbb));
  });
});
