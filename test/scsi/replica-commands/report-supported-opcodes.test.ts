import { describe, expect, it } from 'vitest';
import { vendorCommands } from '../../../src/scsi/replica-commands/index.js';
import { ConflictClass } from '../../../src/scsi/types.js';
import { vendorRig } from './vendor-rig.js';

const rsocOne = (opcode: number) => [0xa3, 0x0c, 0x01, opcode, 0, 0, 0, 0, 0x10, 0, 0, 0];

describe('vendor command descriptors', () => {
  it('challenges and the change map read the medium, staged passes write it (replication control guards itself per action); 16-byte CDBs; all served through a port in any ALUA state', () => {
    expect(vendorCommands.map((d) => [d.opcode, d.direction, d.cdbLength, d.writesMedium, d.conflict, d.allowedInStandby])).toEqual([
      [0xc1, 'in', 16, false, ConflictClass.Read, 'inactive'],
      [0xc2, 'out', 16, false, ConflictClass.Read, 'inactive'],
      [0xc3, 'in', 16, false, ConflictClass.Read, 'inactive'],
      [0xc4, 'none', 16, true, ConflictClass.Write, 'inactive'],
      [0xc5, 'out', 16, true, ConflictClass.Write, 'inactive'],
      [0xc6, 'in', 16, false, ConflictClass.Read, 'inactive'],
      [0xc7, 'out', 16, false, ConflictClass.Write, 'inactive'],
    ]);
    for (const d of vendorCommands) {
      expect(d.usage).toHaveLength(16);
      expect(d.usage[0]).toBe(d.opcode);
    }
  });

  it('REPORT SUPPORTED OPERATION CODES returns their CDB usage data', async () => {
    const { exec } = await vendorRig();
    for (const d of vendorCommands) {
      const r = await exec(rsocOne(d.opcode));
      expect(r.dataIn![1]! & 0x07).toBe(0x03); // supported, per standard
      expect(r.dataIn!.readUInt16BE(2)).toBe(16);
      expect([...r.dataIn!.subarray(4, 20)]).toEqual(d.usage);
    }
  });
});
