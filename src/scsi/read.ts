/** READ(6/10/12/16) (SBC-3 §5.11-5.16). */
import { ConflictClass } from './types.js';
import type { CommandDescriptor, HandlerPlan } from './descriptor.js';
import type { LogicalUnit } from './logical-unit.js';
import type { CommandContext } from './types.js';
import { blockFields, checkTransfer, rejectProtection } from './cdb.js';

function prepareRead(lu: LogicalUnit, ctx: CommandContext): HandlerPlan {
  const cdb = ctx.cdb;
  if (cdb[0] !== 0x08) rejectProtection(cdb);
  const f = blockFields(cdb);
  const lba = checkTransfer(lu, f);
  const bytes = f.blocks * lu.blockSize;
  return {
    dataOutLength: 0,
    async run() {
      if (bytes === 0) return;
      // allocUnsafe: the device fills the whole buffer or throws.
      const buf = Buffer.allocUnsafe(bytes);
      await lu.device.read(buf, lba * lu.blockSize);
      return buf;
    },
  };
}

const common = { direction: 'in', writesMedium: false, conflict: ConflictClass.Read, prepare: prepareRead } as const;

export const readCommands: CommandDescriptor[] = [
  { ...common, name: 'READ(6)', opcode: 0x08, cdbLength: 6, usage: [0x08, 0x1f, 0xff, 0xff, 0xff, 0x00] },
  {
    ...common,
    name: 'READ(10)',
    opcode: 0x28,
    cdbLength: 10,
    usage: [0x28, 0x1a, 0xff, 0xff, 0xff, 0xff, 0x1f, 0xff, 0xff, 0x00],
  },
  {
    ...common,
    name: 'READ(12)',
    opcode: 0xa8,
    cdbLength: 12,
    usage: [0xa8, 0x1a, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x1f, 0x00],
  },
  {
    ...common,
    name: 'READ(16)',
    opcode: 0x88,
    cdbLength: 16,
    usage: [0x88, 0x1a, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x1f, 0x00],
  },
];
