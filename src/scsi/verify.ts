/** VERIFY(10/12/16) (SBC-3 §5.28-5.30) and the compare logic WRITE AND VERIFY shares. */
import { ConflictClass } from './types.js';
import type { CommandDescriptor, HandlerPlan } from './descriptor.js';
import type { LogicalUnit } from './logical-unit.js';
import type { CommandContext } from './types.js';
import { Asc, SenseError, SenseKey, invalidCdbField } from './sense.js';
import { blockFields, checkTransfer, rejectProtection } from './cdb.js';
import { MAX_TRANSFER_BYTES } from './limits.js';
import { wholeBlocks } from './write.js';

/** MISCOMPARE with INFORMATION = byte offset of the first difference in the Data-Out buffer. */
export function miscompare(offset: number): SenseError {
  return new SenseError({ key: SenseKey.MISCOMPARE, asc: Asc.MISCOMPARE_DURING_VERIFY_OPERATION, information: BigInt(offset) });
}

/** Index of the first byte where `a` and `b` differ, or -1. */
export function firstDifference(a: Buffer, b: Buffer): number {
  if (a.equals(b)) return -1;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return n;
}

/** Medium verification without data: read the range (in bounded chunks) so errors surface. */
async function readThrough(lu: LogicalUnit, lba: number, blocks: number): Promise<void> {
  const chunkBlocks = Math.max(1, Math.floor(MAX_TRANSFER_BYTES / lu.blockSize));
  const buf = Buffer.allocUnsafe(Math.min(blocks, chunkBlocks) * lu.blockSize);
  for (let done = 0; done < blocks; done += chunkBlocks) {
    const n = Math.min(chunkBlocks, blocks - done);
    await lu.device.read(n === chunkBlocks ? buf : buf.subarray(0, n * lu.blockSize), (lba + done) * lu.blockSize);
  }
}

function prepareVerify(lu: LogicalUnit, ctx: CommandContext): HandlerPlan {
  const cdb = ctx.cdb;
  rejectProtection(cdb);
  const bytchk = (cdb[1]! >> 1) & 0x03;
  if (bytchk === 0x02) throw invalidCdbField(1, 2);
  const f = blockFields(cdb);
  if (bytchk === 0) {
    const lba = lu.checkRange(f.lba, f.blocks, f.lbaByte);
    return { dataOutLength: 0, run: () => (f.blocks === 0 ? undefined : readThrough(lu, lba, f.blocks)) };
  }
  const lba = checkTransfer(lu, f);
  const mediumBytes = f.blocks * lu.blockSize;
  // BYTCHK 11b: one block of Data-Out is compared with every block in the range.
  const dataOutLength = f.blocks === 0 ? 0 : bytchk === 0x03 ? lu.blockSize : mediumBytes;
  return {
    dataOutLength,
    async run(dataOut) {
      const data = wholeBlocks(lu, dataOut, dataOutLength);
      if (!data) return;
      const blocks = bytchk === 0x03 ? f.blocks : data.length / lu.blockSize;
      const medium = Buffer.allocUnsafe(blocks * lu.blockSize);
      await lu.device.read(medium, lba * lu.blockSize);
      if (bytchk === 0x01) {
        const at = firstDifference(data, medium);
        if (at >= 0) throw miscompare(at);
        return;
      }
      for (let b = 0; b < blocks; b++) {
        const at = firstDifference(data, medium.subarray(b * lu.blockSize, (b + 1) * lu.blockSize));
        if (at >= 0) throw miscompare(b * lu.blockSize + at);
      }
    },
  };
}

const common = { direction: 'out', writesMedium: false, accessesMedium: true ,conflict: ConflictClass.Read, prepare: prepareVerify } as const;

export const verifyCommands: CommandDescriptor[] = [
  {
    ...common,
    name: 'VERIFY(10)',
    opcode: 0x2f,
    cdbLength: 10,
    usage: [0x2f, 0x16, 0xff, 0xff, 0xff, 0xff, 0x1f, 0xff, 0xff, 0x00],
  },
  {
    ...common,
    name: 'VERIFY(12)',
    opcode: 0xaf,
    cdbLength: 12,
    usage: [0xaf, 0x16, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x1f, 0x00],
  },
  {
    ...common,
    name: 'VERIFY(16)',
    opcode: 0x8f,
    cdbLength: 16,
    usage: [0x8f, 0x16, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x1f, 0x00],
  },
];
