/**
 * REPORT SUPPORTED TASK MANAGEMENT FUNCTIONS (SPC-4 §6.36): what the iSCSI transport
 * implements: ABORT TASK, ABORT TASK SET, CLEAR TASK SET, LOGICAL UNIT RESET, TARGET RESET.
 */
import { ConflictClass } from './types.js';
import type { CommandDescriptor } from './descriptor.js';
import { clip, u32 } from './cdb.js';

const ATS = 0x80;
const ATSS = 0x40;
const CTSS = 0x10;
const LURS = 0x08;
const TRS = 0x02;

export const reportSupportedTmfCommand: CommandDescriptor = {
  name: 'REPORT SUPPORTED TASK MANAGEMENT FUNCTIONS',
  opcode: 0xa3,
  serviceAction: 0x0d,
  cdbLength: 12,
  direction: 'in',
  writesMedium: false,
  accessesMedium: false,
  conflict: ConflictClass.Allowed,
  allowedInStandby: 'inactive',
  usage: [0xa3, 0x0d, 0x80, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00],
  prepare(_lu, ctx) {
    const extended = (ctx.cdb[2]! & 0x80) !== 0; // REPD
    const allocation = u32(ctx.cdb, 6);
    const data = Buffer.alloc(extended ? 16 : 4);
    data[0] = ATS | ATSS | CTSS | LURS | TRS;
    if (extended) data[3] = 0x0c;
    return { dataOutLength: 0, run: () => clip(data, allocation) };
  },
};
