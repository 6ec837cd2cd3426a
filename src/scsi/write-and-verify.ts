/** WRITE AND VERIFY(10/12/16) (SBC-3 §5.37-5.39): write, then (BYTCHK) compare the medium. */
import { ConflictClass } from './types.js';
import type { CommandDescriptor, HandlerPlan } from './descriptor.js';
import type { LogicalUnit } from './logical-unit.js';
import type { CommandContext } from './types.js';
import { blockFields, checkTransfer, rejectProtection } from './cdb.js';
import { underExtentLock, wholeBlocks } from './write.js';
import { firstDifference, miscompare } from './verify.js';

function prepareWriteAndVerify(lu: LogicalUnit, ctx: CommandContext): HandlerPlan {
  const cdb = ctx.cdb;
  rejectProtection(cdb);
  const bytchk = (cdb[1]! & 0x02) !== 0;
  const f = blockFields(cdb);
  const lba = checkTransfer(lu, f);
  const bytes = f.blocks * lu.blockSize;
  return {
    dataOutLength: bytes,
    async run(dataOut) {
      const data = wholeBlocks(lu, dataOut, bytes);
      if (!data) return;
      // The verify step must see the medium, not the cache: write through.
      await underExtentLock(lu, lba, f.blocks, () => lu.writerFor(ctx.nexus).write(data, lba * lu.blockSize, true));
      if (!bytchk) return;
      const medium = Buffer.allocUnsafe(data.length);
      await lu.device.read(medium, lba * lu.blockSize);
      const at = firstDifference(data, medium);
      if (at >= 0) throw miscompare(at);
    },
  };
}

const common = { direction: 'out', writesMedium: true, accessesMedium: true ,conflict: ConflictClass.Write, prepare: prepareWriteAndVerify } as const;

export const writeAndVerifyCommands: CommandDescriptor[] = [
  {
    ...common,
    name: 'WRITE AND VERIFY(10)',
    opcode: 0x2e,
    cdbLength: 10,
    usage: [0x2e, 0x12, 0xff, 0xff, 0xff, 0xff, 0x1f, 0xff, 0xff, 0x00],
  },
  {
    ...common,
    name: 'WRITE AND VERIFY(12)',
    opcode: 0xae,
    cdbLength: 12,
    usage: [0xae, 0x12, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x1f, 0x00],
  },
  {
    ...common,
    name: 'WRITE AND VERIFY(16)',
    opcode: 0x8e,
    cdbLength: 16,
    usage: [0x8e, 0x12, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x1f, 0x00],
  },
];
