/** INQUIRY (SPC-4 §6.6). */
import { ConflictClass } from './types.js';
import type { CommandDescriptor } from './descriptor.js';
import type { CommandTable } from './command-table.js';
import { invalidCdbField } from './sense.js';
import { clip, u16 } from './cdb.js';
import { absentLunInquiry, standardInquiry } from './inquiry-data.js';
import { vpdPage } from './vpd-pages.js';

/** CmdDt is obsolete; EVPD=0 requires page code 0. Returns the allocation length. */
function validate(cdb: Buffer): { evpd: boolean; pageCode: number; allocation: number } {
  if (cdb[1]! & 0x02) throw invalidCdbField(1, 1);
  const evpd = (cdb[1]! & 0x01) !== 0;
  if (!evpd && cdb[2] !== 0) throw invalidCdbField(2);
  return { evpd, pageCode: cdb[2]!, allocation: u16(cdb, 3) };
}

/** INQUIRY to a LUN with nothing behind it (SPC-4 §4.2.8): still answered, never an error beyond CDB checks. */
export function inquiryWithoutUnit(cdb: Buffer): Buffer {
  const { evpd, allocation } = validate(cdb);
  if (evpd) throw invalidCdbField(2);
  return clip(absentLunInquiry(), allocation);
}

export function inquiryCommand(table: () => CommandTable): CommandDescriptor {
  return {
    name: 'INQUIRY',
    opcode: 0x12,
    cdbLength: 6,
    direction: 'in',
    writesMedium: false,
    accessesMedium: false,
    conflict: ConflictClass.Allowed,
    bypassesUnitAttention: true,
    allowedInStandby: 'inactive',
    allowedDuringSanitize: true,
    usage: [0x12, 0x01, 0xff, 0xff, 0xff, 0x00],
    prepare(lu, ctx) {
      const { evpd, pageCode, allocation } = validate(ctx.cdb);
      let data: Buffer;
      if (!evpd) {
        data = standardInquiry(lu, { thirdPartyCopy: table().supports(0x83, 0x10) || table().supports(0x83, 0x00) });
      } else {
        const vpd = vpdPage(pageCode, lu, ctx.nexus, table());
        if (!vpd) throw invalidCdbField(2);
        data = vpd;
      }
      return { dataOutLength: 0, run: () => clip(data, allocation) };
    },
  };
}
