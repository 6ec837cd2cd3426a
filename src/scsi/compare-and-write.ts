import type { HandlerPlan } from './descriptor.js';
import type { CommandContext } from './types.js';
import { Asc, SenseError, SenseKey, invalidCdbField } from './sense.js';
import type { AdvancedLu } from './commands-advanced.js';
import { writesThrough } from './write.js';
import { MAX_COMPARE_AND_WRITE_BLOCKS } from './limits.js';

/** Offset of the first byte where `a` and `b` differ, or -1 (compares 8 bytes at a time). */
export function firstDifference(a: Buffer, b: Buffer): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  for (; i + 8 <= n; i += 8) if (a.readBigUInt64LE(i) !== b.readBigUInt64LE(i)) break;
  for (; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

/**
 * COMPARE AND WRITE (89h, SBC-3 §5.2): Data-Out is the verify data followed by the
 * write data, each NUMBER OF LOGICAL BLOCKS long. The read-compare-write runs under
 * the extent lock so no other write to the range interleaves.
 */
export function prepareCompareAndWrite(lu: AdvancedLu, ctx: CommandContext): HandlerPlan {
  const cdb = ctx.cdb;
  // No protection information: WRPROTECT must be 0.
  if (cdb[1]! >> 5 !== 0) throw invalidCdbField(1, 7);
  const fua = writesThrough(lu, (cdb[1]! & 0x08) !== 0);
  const blocks = cdb[13]!;
  if (blocks > MAX_COMPARE_AND_WRITE_BLOCKS) throw invalidCdbField(13);
  const lba = lu.checkRange(cdb.readBigUInt64BE(2), blocks, 2);
  const half = blocks * lu.blockSize;
  // The transfer must be exactly verify + write data; anything else is a malformed command
  // (e.g. a 256-block request whose one-byte count wrapped to 0).
  if (ctx.req.expectedLength !== 2 * half) {
    throw new SenseError({ key: SenseKey.ILLEGAL_REQUEST, asc: Asc.INVALID_FIELD_IN_CDB });
  }
  if (blocks === 0) return { dataOutLength: 0, run: () => undefined };
  return {
    dataOutLength: 2 * half,
    run: async (dataOut) => {
      if (!dataOut || dataOut.length < 2 * half) {
        throw new SenseError({ key: SenseKey.ILLEGAL_REQUEST, asc: Asc.PARAMETER_LIST_LENGTH_ERROR });
      }
      const verify = dataOut.subarray(0, half);
      const write = dataOut.subarray(half, 2 * half);
      const release = await lu.extentLocks.acquire(lba, blocks);
      try {
        const current = Buffer.allocUnsafe(half);
        await lu.device.read(current, lba * lu.blockSize);
        const at = firstDifference(current, verify);
        if (at >= 0) {
          throw new SenseError({ key: SenseKey.MISCOMPARE, asc: Asc.MISCOMPARE_DURING_VERIFY_OPERATION, information: BigInt(at) });
        }
        await lu.writerFor(ctx.nexus).write(write, lba * lu.blockSize, fua);
      } finally {
        release();
      }
    },
  };
}
