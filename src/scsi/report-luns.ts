/** REPORT LUNS (SPC-4 §6.33): answered by the target, whichever LUN it is addressed to. */
import { ConflictClass } from './types.js';
import type { CommandDescriptor } from './descriptor.js';
import { invalidCdbField } from './sense.js';
import { clip, u32 } from './cdb.js';

/** SAM-5 LUN encoding: peripheral device addressing below 256, flat space addressing above. */
export function encodeLun(lun: number): Buffer {
  const b = Buffer.alloc(8);
  if (lun < 256) b[1] = lun;
  else {
    b[0] = 0x40 | ((lun >> 8) & 0x3f);
    b[1] = lun & 0xff;
  }
  return b;
}

/** The REPORT LUNS parameter data for `luns`, after validating the CDB. */
export function reportLuns(cdb: Buffer, luns: readonly number[]): Buffer {
  const select = cdb[2]!;
  const allocation = u32(cdb, 6);
  if (allocation < 16) throw invalidCdbField(6);
  let listed: readonly number[];
  switch (select) {
    case 0x00:
    case 0x02:
      listed = luns;
      break;
    case 0x01:
      listed = []; // we implement no well-known logical units
      break;
    default:
      throw invalidCdbField(2);
  }
  const h = Buffer.alloc(8);
  h.writeUInt32BE(listed.length * 8, 0);
  return clip(Buffer.concat([h, ...[...listed].sort((a, b) => a - b).map(encodeLun)]), allocation);
}

export function reportLunsCommand(listLuns: () => readonly number[]): CommandDescriptor {
  return {
    name: 'REPORT LUNS',
    opcode: 0xa0,
    cdbLength: 12,
    direction: 'in',
    writesMedium: false,
    accessesMedium: false,
    conflict: ConflictClass.Allowed,
    bypassesUnitAttention: true,
    allowedInStandby: 'inactive',
    allowedDuringSanitize: true,
    usage: [0xa0, 0x00, 0xff, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00],
    prepare(_lu, ctx) {
      const data = reportLuns(ctx.cdb, listLuns());
      return { dataOutLength: 0, run: () => data };
    },
  };
}
