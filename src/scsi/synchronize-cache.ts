/** SYNCHRONIZE CACHE(10/16) (SBC-3 §5.22-5.23). */
import { ConflictClass } from './types.js';
import type { CommandDescriptor, HandlerPlan } from './descriptor.js';
import type { LogicalUnit } from './logical-unit.js';
import type { CommandContext } from './types.js';
import { u16, u32, u64 } from './cdb.js';

function prepareSync(lu: LogicalUnit, ctx: CommandContext): HandlerPlan {
  const cdb = ctx.cdb;
  const sixteen = cdb[0] === 0x91;
  const lba = sixteen ? u64(cdb, 2) : BigInt(u32(cdb, 2));
  const blocks = sixteen ? u32(cdb, 10) : u16(cdb, 7);
  // NUMBER OF LOGICAL BLOCKS 0 means "through the last block".
  lu.checkRange(lba, blocks, 2);
  // IMMED permits an early GOOD; completing the flush first is equally correct and simpler.
  return { dataOutLength: 0, run: () => lu.device.flush() };
}

const common = { direction: 'none', writesMedium: false, accessesMedium: true, conflict: ConflictClass.Write, replicatorUnordered: true, replicaStream: true, prepare: prepareSync } as const;

export const synchronizeCacheCommands: CommandDescriptor[] = [
  {
    ...common,
    name: 'SYNCHRONIZE CACHE(10)',
    opcode: 0x35,
    cdbLength: 10,
    usage: [0x35, 0x06, 0xff, 0xff, 0xff, 0xff, 0x1f, 0xff, 0xff, 0x00],
  },
  {
    ...common,
    name: 'SYNCHRONIZE CACHE(16)',
    opcode: 0x91,
    cdbLength: 16,
    usage: [0x91, 0x06, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x1f, 0x00],
  },
];
