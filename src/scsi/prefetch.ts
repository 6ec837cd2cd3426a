/**
 * PRE-FETCH(10/16) (SBC-3 §5.9-5.10). We keep no cache of our own to fill, so the range
 * is validated and GOOD returned (the status SBC-3 gives when the blocks are not cached).
 */
import { ConflictClass } from './types.js';
import type { CommandDescriptor, HandlerPlan } from './descriptor.js';
import type { LogicalUnit } from './logical-unit.js';
import type { CommandContext } from './types.js';
import { u16, u32, u64 } from './cdb.js';

function preparePrefetch(lu: LogicalUnit, ctx: CommandContext): HandlerPlan {
  const cdb = ctx.cdb;
  const sixteen = cdb[0] === 0x90;
  const lba = sixteen ? u64(cdb, 2) : BigInt(u32(cdb, 2));
  const blocks = sixteen ? u32(cdb, 10) : u16(cdb, 7);
  lu.checkRange(lba, blocks, 2);
  return { dataOutLength: 0, run: () => undefined };
}

const common = { direction: 'none', writesMedium: false, accessesMedium: true ,conflict: ConflictClass.Read, prepare: preparePrefetch } as const;

export const prefetchCommands: CommandDescriptor[] = [
  {
    ...common,
    name: 'PRE-FETCH(10)',
    opcode: 0x34,
    cdbLength: 10,
    usage: [0x34, 0x02, 0xff, 0xff, 0xff, 0xff, 0x1f, 0xff, 0xff, 0x00],
  },
  {
    ...common,
    name: 'PRE-FETCH(16)',
    opcode: 0x90,
    cdbLength: 16,
    usage: [0x90, 0x02, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x1f, 0x00],
  },
];
