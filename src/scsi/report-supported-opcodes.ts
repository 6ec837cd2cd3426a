/** REPORT SUPPORTED OPERATION CODES (SPC-4 §6.35), built from the command table. */
import { ConflictClass } from './types.js';
import type { CommandDescriptor } from './descriptor.js';
import type { CommandTable } from './command-table.js';
import type { LogicalUnit } from './logical-unit.js';
import { invalidCdbField } from './sense.js';
import { clip, u16, u32 } from './cdb.js';

/** Command timeouts descriptor: no nominal or recommended timeout reported (0 = unspecified). */
function timeoutsDescriptor(): Buffer {
  const b = Buffer.alloc(12);
  b.writeUInt16BE(0x0a, 0);
  return b;
}

function allCommands(table: CommandTable, lu: LogicalUnit, rctd: boolean): Buffer {
  const parts = table.allOn(lu).map((d) => {
    const b = Buffer.alloc(8);
    b[0] = d.opcode;
    b.writeUInt16BE(d.serviceAction ?? 0, 2);
    b[5] = (rctd ? 0x02 : 0) | (d.serviceAction !== undefined ? 0x01 : 0);
    b.writeUInt16BE(d.cdbLength, 6);
    return rctd ? Buffer.concat([b, timeoutsDescriptor()]) : b;
  });
  const body = Buffer.concat(parts);
  const h = Buffer.alloc(4);
  h.writeUInt32BE(body.length, 0);
  return Buffer.concat([h, body]);
}

function oneCommand(d: CommandDescriptor | undefined, rctd: boolean): Buffer {
  if (!d) return Buffer.from([0, 0x01, 0, 0]); // SUPPORT 001b: not supported
  const h = Buffer.from([0, (rctd ? 0x80 : 0) | 0x03, 0, 0]);
  h.writeUInt16BE(d.usage.length, 2);
  const parts: Buffer[] = [h, Buffer.from(d.usage)];
  if (rctd) parts.push(timeoutsDescriptor());
  return Buffer.concat(parts);
}

export function reportSupportedOpcodesCommand(table: () => CommandTable): CommandDescriptor {
  return {
    name: 'REPORT SUPPORTED OPERATION CODES',
    opcode: 0xa3,
    serviceAction: 0x0c,
    cdbLength: 12,
    direction: 'in',
    writesMedium: false,
    accessesMedium: false,
    conflict: ConflictClass.Allowed,
    allowedInStandby: 'inactive',
    usage: [0xa3, 0x0c, 0x87, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00],
    prepare(lu, ctx) {
      const cdb = ctx.cdb;
      const rctd = (cdb[2]! & 0x80) !== 0;
      const option = cdb[2]! & 0x07;
      const opcode = cdb[3]!;
      const sa = u16(cdb, 4);
      const allocation = u32(cdb, 6);
      const t = table();
      let data: Buffer;
      switch (option) {
        case 0:
          data = allCommands(t, lu, rctd);
          break;
        case 1:
          // Opcode only: not meaningful for a command multiplexed by service action.
          if (t.hasServiceActions(opcode)) throw invalidCdbField(3);
          data = oneCommand(t.lookup(opcode, undefined, lu), rctd);
          break;
        case 2:
          if (!t.hasServiceActions(opcode) && t.supports(opcode)) throw invalidCdbField(3);
          data = oneCommand(t.lookup(opcode, sa, lu), rctd);
          break;
        case 3:
          data = oneCommand(t.hasServiceActions(opcode) ? t.lookup(opcode, sa, lu) : t.lookup(opcode, undefined, lu), rctd);
          break;
        default:
          throw invalidCdbField(2, 2);
      }
      return { dataOutLength: 0, run: () => clip(data, allocation) };
    },
  };
}
