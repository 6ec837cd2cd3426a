import type { HandlerPlan } from './descriptor.js';
import type { CommandContext } from './types.js';
import { Asc, SenseError, SenseKey, invalidCdbField } from './sense.js';
import type { AdvancedLu } from './commands-advanced.js';
import { writesThrough } from './write.js';
import { MAX_TRANSFER_BYTES } from './limits.js';

/**
 * ORWRITE(16) (8Bh, SBC-3 §5.8): OR the Data-Out into the medium. The read-OR-write runs
 * under the extent lock so it is atomic against other locked writers of the range.
 */
export function prepareOrWrite(lu: AdvancedLu, ctx: CommandContext): HandlerPlan {
  const cdb = ctx.cdb;
  // ORPROTECT: no protection information on our LUs.
  if (cdb[1]! >> 5 !== 0) throw invalidCdbField(1, 7);
  const fua = writesThrough(lu, (cdb[1]! & 0x08) !== 0);
  const blocks = cdb.readUInt32BE(10);
  const lba = lu.checkRange(cdb.readBigUInt64BE(2), blocks, 2);
  const length = blocks * lu.blockSize;
  if (length > MAX_TRANSFER_BYTES) throw invalidCdbField(10);
  if (blocks === 0) return { dataOutLength: 0, run: () => undefined };
  return {
    dataOutLength: length,
    run: async (dataOut) => {
      if (!dataOut || dataOut.length < length) {
        throw new SenseError({ key: SenseKey.ILLEGAL_REQUEST, asc: Asc.PARAMETER_LIST_LENGTH_ERROR });
      }
      const release = await lu.extentLocks.acquire(lba, blocks);
      try {
        const current = Buffer.allocUnsafe(length);
        await lu.device.read(current, lba * lu.blockSize);
        // OR eight bytes at a time; lengths are whole blocks, so multiples of 8.
        for (let i = 0; i < length; i += 8) current.writeBigUInt64LE(current.readBigUInt64LE(i) | dataOut.readBigUInt64LE(i), i);
        await lu.writerFor(ctx.nexus).write(current, lba * lu.blockSize, fua);
      } finally {
        release();
      }
    },
  };
}
