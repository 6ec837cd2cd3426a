/** WRITE SCATTERED(16): several ranges in one command; the parameter list is checked whole before anything is written. */
import { describe, expect, it } from 'vitest';
import { ScsiStatus } from '../../../src/scsi/types.js';
import { A, exec, makeLu, readBlocks, writeScatteredCommand } from './helpers.js';

const BS = 512;
const fill = (blocks: number, byte: number) => Buffer.alloc(blocks * BS, byte);

describe('WRITE SCATTERED(16)', () => {
  it('writes each range where its descriptor says, leaving the blocks between alone', async () => {
    const lu = await makeLu({ blocks: 256 });
    await lu.device.write(fill(256, 0x11), 0);
    const { cdb, dataOut } = writeScatteredCommand([{ lba: 200, data: fill(3, 0xa1) }, { lba: 4, data: fill(1, 0xa2) }, { lba: 8, data: fill(2, 0xa3) }], BS);
    expect((await exec(lu, A, cdb, dataOut)).status).toBe(ScsiStatus.GOOD);
    expect(await readBlocks(lu, 200, 3)).toEqual(fill(3, 0xa1));
    expect(await readBlocks(lu, 4, 1)).toEqual(fill(1, 0xa2));
    expect(await readBlocks(lu, 8, 2)).toEqual(fill(2, 0xa3));
    expect(await readBlocks(lu, 5, 3)).toEqual(fill(3, 0x11));
    expect(await readBlocks(lu, 10, 190)).toEqual(fill(190, 0x11));
  });

  it('a BUFFER TRANSFER LENGTH of 0 transfers and writes nothing', async () => {
    const lu = await makeLu({ blocks: 64 });
    const cdb = Buffer.from([0x9f, 0x12, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
    expect((await exec(lu, A, cdb)).status).toBe(ScsiStatus.GOOD);
  });

  describe('refuses with the field that is wrong, and writes nothing', () => {
    type Case = { name: string; build: () => { cdb: Buffer; dataOut: Buffer }; asc: [number, number]; field?: { cd: boolean; byte: number; bit?: number } };
    const cases: Case[] = [
      {
        name: 'WRPROTECT set',
        build: () => {
          const c = writeScatteredCommand([{ lba: 1, data: fill(1, 0xee) }], BS);
          c.cdb[2] |= 0x20;
          return c;
        },
        asc: [0x24, 0x00],
        field: { cd: true, byte: 2, bit: 7 },
      },
      {
        name: 'a data offset too small for the descriptors',
        build: () => {
          const c = writeScatteredCommand(Array.from({ length: 20 }, (_, i) => ({ lba: 2 * i, data: fill(1, 0xee) })), BS);
          c.cdb.writeUInt16BE(1, 4);
          return c;
        },
        asc: [0x24, 0x00],
        field: { cd: true, byte: 4 },
      },
      {
        name: 'overlapping ranges',
        build: () => writeScatteredCommand([{ lba: 10, data: fill(4, 0xee) }, { lba: 30, data: fill(1, 0xee) }, { lba: 12, data: fill(1, 0xee) }], BS),
        asc: [0x26, 0x00],
        field: { cd: false, byte: 32 + 2 * 32 },
      },
      {
        // The pointer counts every descriptor, the zero-length ones (which write nothing) too.
        name: 'overlapping ranges after a zero-length descriptor',
        build: () => {
          const c = writeScatteredCommand([{ lba: 40, data: fill(1, 0xee) }, { lba: 10, data: fill(4, 0xee) }, { lba: 30, data: fill(1, 0xee) }, { lba: 12, data: fill(1, 0xee) }], BS);
          c.dataOut.writeUInt32BE(0, 32 + 8);
          return c;
        },
        asc: [0x26, 0x00],
        field: { cd: false, byte: 32 + 3 * 32 },
      },
      {
        name: 'descriptors that need more blocks than BUFFER TRANSFER LENGTH',
        build: () => {
          const c = writeScatteredCommand([{ lba: 1, data: fill(1, 0xee) }, { lba: 5, data: fill(2, 0xee) }], BS);
          c.dataOut.writeUInt32BE(3, 32 + 32 + 8);
          return c;
        },
        asc: [0x26, 0x00],
        field: { cd: false, byte: 32 + 32 + 8 },
      },
      {
        name: 'a range past the last block',
        build: () => writeScatteredCommand([{ lba: 1, data: fill(1, 0xee) }, { lba: 63, data: fill(2, 0xee) }], BS),
        asc: [0x21, 0x00],
      },
      ...[2 ** 53 - 1, 2 ** 53, 2n ** 64n - 1n].map((lba): Case => ({
        name: `an LBA of ${lba} (beyond the LU, and from 2^53 beyond a number's exact range)`,
        build: () => {
          const c = writeScatteredCommand([{ lba: 1, data: fill(1, 0xee) }], BS);
          c.dataOut.writeBigUInt64BE(BigInt(lba), 32);
          return c;
        },
        asc: [0x21, 0x00],
      })),
    ];
    it.each(cases)('$name', async ({ build, asc, field }) => {
      const lu = await makeLu({ blocks: 64 });
      const { cdb, dataOut } = build();
      const r = await exec(lu, A, cdb, dataOut);
      expect(r.status).toBe(ScsiStatus.CHECK_CONDITION);
      expect(r.sense!.key).toBe(0x05);
      expect(r.sense!.asc).toEqual(asc);
      if (field) expect(r.sense!.field).toMatchObject(field.bit === undefined ? { inCdb: field.cd, byte: field.byte } : { inCdb: field.cd, byte: field.byte, bit: field.bit });
      expect(await readBlocks(lu, 0, 64)).toEqual(fill(64, 0));
    });
  });
});
