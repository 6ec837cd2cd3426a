import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ScsiStatus } from '../../../src/scsi/types.js';
import { senseOf } from '../helpers.js';
import { vendorRig } from './vendor-rig.js';

describe('random vendor CDBs and parameter lists through the target', () => {
  it('end GOOD or CHECK CONDITION ILLEGAL REQUEST, never an internal error', async () => {
    const { exec } = await vendorRig();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(0xc1, 0xc2, 0xc3),
        fc.uint8Array({ minLength: 15, maxLength: 15 }),
        fc.uint8Array({ maxLength: 300 }),
        fc.boolean(),
        async (opcode, rest, list, plausible) => {
          const cdb = Buffer.from([opcode, ...rest]);
          cdb[15] = 0;
          if (plausible) {
            // Small lengths and LBAs, so the deeper checks (not just the first field) are reached.
            cdb[1] &= 0x01;
            if (opcode !== 0xc1) cdb.writeUInt32BE((rest[8]! % 10) * 32 + 8, 6);
            else cdb.writeUInt32BE(rest[2]! * 4, 2);
            cdb.fill(0, 10, 15);
          }
          const r = await exec(cdb, Buffer.from(list));
          if (r.status === ScsiStatus.GOOD) return;
          expect(r.status).toBe(ScsiStatus.CHECK_CONDITION);
          expect(senseOf(r).key).toBe(0x05);
        },
      ),
      { numRuns: 400 },
    );
  });
});
