import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ScsiDataError, parseReadCapacity16, parseReportLuns, parseStandardInquiry, read16Cdb, unmapCommand } from '../../src/initiator/cdb.js';

describe('SCSI data parsers', () => {
  it('decode READ CAPACITY(16) fields', () => {
    const d = Buffer.alloc(32);
    d.writeBigUInt64BE(0xfffn, 0);
    d.writeUInt32BE(4096, 8);
    d[13] = 3;
    d[14] = 0xc0;
    expect(parseReadCapacity16(d)).toMatchObject({ blockCount: 0x1000n, blockSize: 4096, lbpme: true, lbprz: true, logicalBlocksPerPhysicalBlockExponent: 3 });
  });

  it('decode REPORT LUNS in peripheral and flat addressing', () => {
    const d = Buffer.alloc(8 + 24);
    d.writeUInt32BE(24, 0);
    d.writeUInt16BE(1, 8);
    d.writeUInt16BE(0x4000 | 300, 16);
    d.writeUInt16BE(0, 24);
    expect(parseReportLuns(d)).toEqual([1, 300, 0]);
  });

  it('throw only ScsiDataError on random data', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
        const b = Buffer.from(bytes);
        for (const parse of [parseReadCapacity16, parseReportLuns, parseStandardInquiry]) {
          try {
            parse(b);
          } catch (e) {
            expect(e).toBeInstanceOf(ScsiDataError);
          }
        }
      }),
    );
  });

  it('build READ(16) and UNMAP with the fields where SBC-3 puts them', () => {
    const cdb = read16Cdb(0x0102030405060708n, 0x11223344, true);
    expect(cdb[0]).toBe(0x88);
    expect(cdb[1]).toBe(0x08);
    expect(cdb.readBigUInt64BE(2)).toBe(0x0102030405060708n);
    expect(cdb.readUInt32BE(10)).toBe(0x11223344);
    const { cdb: u, parameters } = unmapCommand([{ lba: 7, blocks: 9 }]);
    expect(u.readUInt16BE(7)).toBe(24);
    expect(parameters.readUInt16BE(0)).toBe(22);
    expect(parameters.readUInt16BE(2)).toBe(16);
    expect(parameters.readBigUInt64BE(8)).toBe(7n);
    expect(parameters.readUInt32BE(16)).toBe(9);
  });
});
