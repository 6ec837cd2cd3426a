/**
 * REPORT LUNS lists each LUN in the form hosts address it by in a command's LUN field (SAM-5
 * §4.7: peripheral below 256, flat above): the SCSI layer's encoder (it knows nothing of
 * iSCSI) writes exactly the 8 bytes the iSCSI layer reads back as that LUN.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { lunFromField, lunToField } from '../../src/iscsi/pdu/bhs.js';
import { encodeLun } from '../../src/scsi/report-luns.js';

describe('REPORT LUNS entries', () => {
  it('are the LUN field a host sends for that LUN', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0x3fff }), (lun) => {
        const entry = encodeLun(lun);
        expect(entry).toHaveLength(8);
        expect(entry.readBigUInt64BE(0)).toBe(lunToField(lun));
        expect(lunFromField(entry.readBigUInt64BE(0))).toBe(lun);
      }),
    );
  });
});
