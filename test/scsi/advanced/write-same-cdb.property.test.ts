/**
 * WRITE SAME(10) 41h and WRITE SAME(16) 93h CDBs as parseWriteSame reads them (SBC-3
 * §5.42-5.44): WRPROTECT, ANCHOR, UNMAP, NDOB (16 only), the LBA and the NUMBER OF LOGICAL
 * BLOCKS come back as written, whatever the group number, control byte and other bits hold,
 * and the field offsets the sense pointers use are the fields'.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseWriteSame } from '../../../src/scsi/write-same.js';
import { writeCdb16, writeSame10Cdb } from './helpers.js';

const fields = (lbaBits: 32 | 64, blockBits: 16 | 32) =>
  fc.record({
    wrprotect: fc.integer({ min: 0, max: 7 }),
    anchor: fc.boolean(),
    unmap: fc.boolean(),
    ndob: fc.boolean(),
    lba: fc.bigInt({ min: 0n, max: (1n << BigInt(lbaBits)) - 1n }),
    blocks: fc.integer({ min: 0, max: 2 ** blockBits - 1 }),
    /** Bits no field of the parse takes: byte 1's others, the group number, the control byte. */
    noise: fc.record({ low: fc.integer({ min: 0, max: 3 }), group: fc.integer({ min: 0, max: 255 }), control: fc.integer({ min: 0, max: 255 }) }),
  });

type Fields = ReturnType<typeof fields> extends fc.Arbitrary<infer F> ? F : never;

/** Byte 1 as both forms lay it out; bit 0 is NDOB in WRITE SAME(16) and reserved in WRITE SAME(10). */
const byte1 = (f: Fields): number => (f.wrprotect << 5) | (f.anchor ? 0x10 : 0) | (f.unmap ? 0x08 : 0) | (f.noise.low << 1) | (f.ndob ? 1 : 0);

describe('WRITE SAME CDB fields', () => {
  it('WRITE SAME(10): every field back as written; no NDOB in the 10-byte form', () => {
    fc.assert(
      fc.property(fields(32, 16), (f) => {
        // Bits 2-0 of byte 1 are reserved or obsolete in WRITE SAME(10): NDOB is not one of them.
        const cdb = writeSame10Cdb(Number(f.lba), f.blocks, byte1(f));
        cdb[6] = f.noise.group;
        cdb[9] = f.noise.control;
        expect(parseWriteSame(cdb)).toEqual({
          wrprotect: f.wrprotect, anchor: f.anchor, unmap: f.unmap, ndob: false, lba: f.lba, blocks: f.blocks, lbaField: 2, blocksField: 7,
        });
      }),
    );
  });

  it('WRITE SAME(16): every field back as written, NDOB from bit 0 of byte 1', () => {
    fc.assert(
      fc.property(fields(64, 32), (f) => {
        const cdb = writeCdb16(0x93, f.lba, f.blocks, byte1(f));
        cdb[14] = f.noise.group;
        cdb[15] = f.noise.control;
        expect(parseWriteSame(cdb)).toEqual({
          wrprotect: f.wrprotect, anchor: f.anchor, unmap: f.unmap, ndob: f.ndob, lba: f.lba, blocks: f.blocks, lbaField: 2, blocksField: 10,
        });
      }),
    );
  });
});
