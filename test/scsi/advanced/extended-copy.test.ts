import { describe, expect, it } from 'vitest';
import { ScsiStatus } from '../../../src/scsi/types.js';
import { setCopyTargets, XcopyLimits } from '../../../src/scsi/extended-copy.js';
import type { LogicalUnit } from '../../../src/scsi/logical-unit.js';
import { A, B, SA, exec, isFilled, makeLu, prOut, readBlocks, register } from './helpers.js';

function cscd(lu: LogicalUnit, type = 0xe4): Buffer {
  const d = Buffer.alloc(32);
  d[0] = type;
  d[4] = 0x01; // binary
  d[5] = 0x03; // NAA, LU association
  d[7] = lu.identity.naa.length;
  lu.identity.naa.copy(d, 8);
  d.writeUIntBE(lu.blockSize, 29, 3);
  return d;
}

function segment(src: number, dst: number, blocks: number, srcLba: number, dstLba: number, type = 0x02): Buffer {
  const d = Buffer.alloc(28);
  d[0] = type;
  d.writeUInt16BE(24, 2);
  d.writeUInt16BE(src, 4);
  d.writeUInt16BE(dst, 6);
  d.writeUInt16BE(blocks, 10);
  d.writeBigUInt64BE(BigInt(srcLba), 12);
  d.writeBigUInt64BE(BigInt(dstLba), 20);
  return d;
}

function paramList(cscds: Buffer[], segments: Buffer[], listId = 1, usage = 0): Buffer {
  const c = Buffer.concat(cscds);
  const s = Buffer.concat(segments);
  const h = Buffer.alloc(16);
  h[0] = listId;
  h[1] = usage << 3;
  h.writeUInt16BE(c.length, 2);
  h.writeUInt32BE(s.length, 8);
  return Buffer.concat([h, c, s]);
}

function xcopyCdb(length: number): Buffer {
  const cdb = Buffer.alloc(16);
  cdb[0] = 0x83;
  cdb.writeUInt32BE(length, 10);
  return cdb;
}

function rcrCdb(action: number, listId = 0, allocation = 1024): Buffer {
  const cdb = Buffer.alloc(16);
  cdb[0] = 0x84;
  cdb[1] = action;
  cdb[2] = listId;
  cdb.writeUInt32BE(allocation, 10);
  return cdb;
}

describe('EXTENDED COPY (LID1) and RECEIVE COPY RESULTS', () => {
  it('copies blocks within one LU', async () => {
    const lu = await makeLu({ blocks: 8192 });
    await lu.device.write(Buffer.alloc(2048 * 512, 0x41), 0);
    const p = paramList([cscd(lu)], [segment(0, 0, 2048, 0, 8192 - 2048)]);
    const r = await exec(lu, A, xcopyCdb(p.length), p);
    expect(r.status).toBe(ScsiStatus.GOOD);
    expect(isFilled(await readBlocks(lu, 8192 - 2048, 2048), 0x41)).toBe(true);
  });

  it('copies overlapping ranges forward without smearing', async () => {
    const lu = await makeLu({ blocks: 8192 });
    const src = Buffer.alloc(4000 * 512);
    for (let i = 0; i < 4000; i++) src.fill(i & 0xff, i * 512, (i + 1) * 512);
    await lu.device.write(src, 0);
    const p = paramList([cscd(lu)], [segment(0, 0, 4000, 0, 100)]);
    expect((await exec(lu, A, xcopyCdb(p.length), p)).status).toBe(ScsiStatus.GOOD);
    expect((await readBlocks(lu, 100, 4000)).equals(src)).toBe(true);
  });

  it('copies between LUs of one target once they are registered as copy targets', async () => {
    const a = await makeLu({ blocks: 256 });
    const b = await makeLu({ blocks: 256 });
    (b as { identity: { naa: Buffer } }).identity.naa[15] ^= 0xff; // distinct designators
    await a.device.write(Buffer.alloc(16 * 512, 0x7e), 0);
    const p = paramList([cscd(a), cscd(b)], [segment(0, 1, 16, 0, 32)]);
    const unreachable = await exec(a, A, xcopyCdb(p.length), p);
    expect(unreachable.sense!.key).toBe(0x0a);
    setCopyTargets([a, b]);
    expect((await exec(a, A, xcopyCdb(p.length), p)).status).toBe(ScsiStatus.GOOD);
    expect(isFilled(await readBlocks(b, 32, 16), 0x7e)).toBe(true);
  });

  it('a zero-length parameter list is GOOD; a truncated one is PARAMETER LIST LENGTH ERROR', async () => {
    const lu = await makeLu();
    expect((await exec(lu, A, xcopyCdb(0))).status).toBe(ScsiStatus.GOOD);
    const p = paramList([cscd(lu)], [segment(0, 0, 1, 0, 1)]);
    for (const len of [16 + 31, p.length - 1]) {
      const r = await exec(lu, A, xcopyCdb(len), p.subarray(0, len));
      expect(r.sense!.asc).toEqual([0x1a, 0x00]);
    }
  });

  it('more descriptors than reported is TOO MANY TARGET / SEGMENT DESCRIPTORS', async () => {
    const lu = await makeLu();
    const tooManyCscds = paramList(Array(XcopyLimits.MAX_CSCD_DESCRIPTORS + 1).fill(cscd(lu)), [segment(0, 0, 1, 0, 1)]);
    expect((await exec(lu, A, xcopyCdb(tooManyCscds.length), tooManyCscds)).sense!.asc).toEqual([0x26, 0x06]);
    const tooManySegs = paramList([cscd(lu)], Array(XcopyLimits.MAX_SEGMENT_DESCRIPTORS + 1).fill(segment(0, 0, 1, 0, 1)));
    expect((await exec(lu, A, xcopyCdb(tooManySegs.length), tooManySegs)).sense!.asc).toEqual([0x26, 0x08]);
  });

  it('unsupported descriptor type codes are reported as such', async () => {
    const lu = await makeLu();
    const fc = paramList([cscd(lu, 0xe0)], [segment(0, 0, 1, 0, 1)]);
    expect((await exec(lu, A, xcopyCdb(fc.length), fc)).sense!.asc).toEqual([0x26, 0x07]);
    const stream = paramList([cscd(lu)], [segment(0, 0, 1, 0, 1, 0x03)]);
    expect((await exec(lu, A, xcopyCdb(stream.length), stream)).sense!.asc).toEqual([0x26, 0x09]);
  });

  it('a bad CSCD index or a range past the end aborts the copy (COPY ABORTED)', async () => {
    const lu = await makeLu({ blocks: 4096 });
    const badIndex = paramList([cscd(lu)], [segment(0, 1, 16, 0, 100)]);
    expect((await exec(lu, A, xcopyCdb(badIndex.length), badIndex)).sense!.key).toBe(0x0a);
    const eol = paramList([cscd(lu)], [segment(0, 0, 2048, 0, 4095)]);
    const r = await exec(lu, A, xcopyCdb(eol.length), eol);
    expect(r.sense!.key).toBe(0x0a);
    expect(r.sense!.asc).toEqual([0x00, 0x00]);
  });

  it('OPERATING PARAMETERS reports the limits enforced and the implemented descriptor codes', async () => {
    const lu = await makeLu();
    const d = (await exec(lu, A, rcrCdb(0x03))).data!;
    expect(d.readUInt32BE(0)).toBe(d.length - 4);
    expect(d.readUInt16BE(8)).toBe(XcopyLimits.MAX_CSCD_DESCRIPTORS);
    expect(d.readUInt16BE(10)).toBe(XcopyLimits.MAX_SEGMENT_DESCRIPTORS);
    expect(d.readUInt32BE(12)).toBe(XcopyLimits.MAX_DESCRIPTOR_LIST_LENGTH);
    expect([...d.subarray(44, 44 + d[43]!)]).toEqual([0x02, 0xe4]);
  });

  it('COPY STATUS reports a finished list; unknown or discarded list IDs are invalid', async () => {
    const lu = await makeLu();
    const kept = paramList([cscd(lu)], [segment(0, 0, 4, 0, 8)], 7, 0);
    await exec(lu, A, xcopyCdb(kept.length), kept);
    const d = (await exec(lu, A, rcrCdb(0x00, 7))).data!;
    expect(d[4]! & 0x7f).toBe(0x01);
    expect(d.readUInt16BE(5)).toBe(1);
    expect(d[7]).toBe(0xf1);
    expect(d.readUInt32BE(8)).toBe(2);
    const discarded = paramList([cscd(lu)], [segment(0, 0, 4, 0, 8)], 9, 3);
    await exec(lu, A, xcopyCdb(discarded.length), discarded);
    expect((await exec(lu, A, rcrCdb(0x00, 9))).sense!.field).toMatchObject({ inCdb: true, byte: 2 });
  });
});

// The copy reads its source and writes its destination for the issuing I_T nexus: another
// nexus's persistent reservation of either LU refuses it as it would that READ or WRITE.
describe('EXTENDED COPY between LUs reserved by another nexus', () => {
  const WRITE_EXCLUSIVE = 1;
  const EXCLUSIVE_ACCESS = 3;

  async function twoLus(): Promise<{ a: LogicalUnit; b: LogicalUnit; copy: Buffer }> {
    const a = await makeLu({ blocks: 256 });
    const b = await makeLu({ blocks: 256 });
    (b as { identity: { naa: Buffer } }).identity.naa[15] ^= 0xff; // distinct designators
    setCopyTargets([a, b]);
    await a.device.write(Buffer.alloc(16 * 512, 0x7e), 0);
    return { a, b, copy: paramList([cscd(a), cscd(b)], [segment(0, 1, 16, 0, 32)]) };
  }

  async function reserveFor(lu: LogicalUnit, type: number): Promise<void> {
    expect((await register(lu, B, 0xbbn)).status).toBe(ScsiStatus.GOOD);
    expect((await prOut(lu, B, SA.RESERVE, type, 0xbbn)).status).toBe(ScsiStatus.GOOD);
  }

  it('a destination under Write Exclusive is RESERVATION CONFLICT, and nothing is written', async () => {
    const { a, b, copy } = await twoLus();
    await reserveFor(b, WRITE_EXCLUSIVE);
    expect((await exec(a, A, xcopyCdb(copy.length), copy)).status).toBe(ScsiStatus.RESERVATION_CONFLICT);
    expect(isFilled(await readBlocks(b, 32, 16), 0)).toBe(true);
  });

  it('a source under Exclusive Access is RESERVATION CONFLICT', async () => {
    const { a, b, copy } = await twoLus();
    await reserveFor(a, EXCLUSIVE_ACCESS);
    expect((await exec(b, A, xcopyCdb(copy.length), copy)).status).toBe(ScsiStatus.RESERVATION_CONFLICT);
    expect(isFilled(await readBlocks(b, 32, 16), 0)).toBe(true);
  });

  it('a source under Write Exclusive may still be read: the copy is GOOD', async () => {
    const { a, b, copy } = await twoLus();
    await reserveFor(a, WRITE_EXCLUSIVE);
    expect((await exec(b, A, xcopyCdb(copy.length), copy)).status).toBe(ScsiStatus.GOOD);
    expect(isFilled(await readBlocks(b, 32, 16), 0x7e)).toBe(true);
  });

  it('a conflict in a later segment refuses the whole list before any segment is copied', async () => {
    const { a, b } = await twoLus();
    await reserveFor(b, WRITE_EXCLUSIVE);
    // Segment 1 copies within A (allowed), segment 2 into reserved B.
    const copy = paramList([cscd(a), cscd(b)], [segment(0, 0, 16, 0, 64), segment(0, 1, 16, 0, 32)]);
    expect((await exec(a, A, xcopyCdb(copy.length), copy)).status).toBe(ScsiStatus.RESERVATION_CONFLICT);
    expect(isFilled(await readBlocks(a, 64, 16), 0)).toBe(true);
    expect(isFilled(await readBlocks(b, 32, 16), 0)).toBe(true);
  });

  it('the reservation holder itself copies', async () => {
    const { a, b, copy } = await twoLus();
    await reserveFor(b, EXCLUSIVE_ACCESS);
    expect((await exec(a, B, xcopyCdb(copy.length), copy)).status).toBe(ScsiStatus.GOOD);
    expect(isFilled(await readBlocks(b, 32, 16), 0x7e)).toBe(true);
  });
});
