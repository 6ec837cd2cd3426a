/** READ DEFECT DATA(10/12) (SBC-3 §5.17-5.18): a virtual medium has an empty defect list. */
import { ConflictClass } from './types.js';
import type { CommandDescriptor } from './descriptor.js';
import { clip, u16, u32 } from './cdb.js';

export const readDefectDataCommands: CommandDescriptor[] = [
  {
    name: 'READ DEFECT DATA(10)',
    opcode: 0x37,
    cdbLength: 10,
    direction: 'in',
    writesMedium: false,
    accessesMedium: true,
    conflict: ConflictClass.Read,
    usage: [0x37, 0x00, 0x1f, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0x00],
    prepare(_lu, ctx) {
      const flags = ctx.cdb[2]! & 0x1f; // REQ_PLIST, REQ_GLIST, DEFECT LIST FORMAT echoed back
      const allocation = u16(ctx.cdb, 7);
      return { dataOutLength: 0, run: () => clip(Buffer.from([0, flags, 0, 0]), allocation) };
    },
  },
  {
    name: 'READ DEFECT DATA(12)',
    opcode: 0xb7,
    cdbLength: 12,
    direction: 'in',
    writesMedium: false,
    accessesMedium: true,
    conflict: ConflictClass.Read,
    usage: [0xb7, 0x1f, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00],
    prepare(_lu, ctx) {
      const flags = ctx.cdb[1]! & 0x1f;
      const allocation = u32(ctx.cdb, 6);
      return { dataOutLength: 0, run: () => clip(Buffer.from([0, flags, 0, 0, 0, 0, 0, 0]), allocation) };
    },
  },
];
