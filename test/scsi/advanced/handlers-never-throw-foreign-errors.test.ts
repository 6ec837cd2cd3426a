import fc from 'fast-check';
import { describe, it } from 'vitest';
import { advancedCommands } from '../../../src/scsi/commands-advanced.js';
import { A, B, exec, makeLu } from './helpers.js';

/**
 * Random CDBs and Data-Out for every advanced command: the only errors that may leave a
 * handler are SenseError and StatusError (exec rethrows anything else, failing the run).
 */
describe('advanced command handlers under random input', () => {
  for (const desc of advancedCommands) {
    it(`${desc.name} answers random CDBs and parameter lists with SCSI status only`, async () => {
      const lu = await makeLu({ blocks: 2048 });
      await fc.assert(
        fc.asyncProperty(
          fc.uint8Array({ minLength: desc.cdbLength, maxLength: desc.cdbLength }),
          fc.uint8Array({ maxLength: 300 }),
          fc.boolean(),
          fc.boolean(),
          fc.boolean(),
          async (cdbBytes, data, useB, matchExpected, nearMedium) => {
            const cdb = Buffer.from(cdbBytes);
            cdb[0] = desc.opcode;
            // Half the runs address the medium (small LBAs and counts) so deeper paths run.
            if (nearMedium) {
              if (desc.cdbLength === 16) cdb.fill(0, 2, 8).fill(0, 10, 12);
              if (desc.cdbLength === 10) cdb.fill(0, 2, 4);
            }
            if (desc.serviceAction !== undefined) cdb[1] = (cdb[1]! & 0xe0) | desc.serviceAction;
            const dataOut = Buffer.from(data);
            await exec(lu, useB ? B : A, cdb, dataOut, matchExpected ? undefined : dataOut.length + 512);
          },
        ),
        { numRuns: 300 },
      );
    });
  }

  it('PERSISTENT RESERVE OUT with a valid CDB and random 24-byte lists keeps the state consistent', async () => {
    const lu = await makeLu();
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 7 }), fc.integer({ min: 0, max: 15 }), fc.uint8Array({ minLength: 24, maxLength: 24 }), fc.boolean(),
        async (sa, type, params, useB) => {
          const cdb = Buffer.from([0x5f, sa, type, 0, 0, 0, 0, 0, 24, 0]);
          const p = Buffer.from(params);
          p[20] = p[20]! & 0x09; // SPEC_I_PT / APTPL only, so some lists are accepted
          p.writeBigUInt64BE(BigInt(p[0]! & 3), 0); // small keys so they sometimes match
          p.writeBigUInt64BE(BigInt(p[8]! & 3), 8);
          await exec(lu, useB ? B : A, cdb, p);
        }),
      { numRuns: 500 },
    );
  });
});
