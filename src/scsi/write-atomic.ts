/**
 * WRITE ATOMIC(16) (9Ch, SBC-4 §5.48): all of the blocks are written or none, also across
 * a power loss (AtomicWriteLog). Overlapping atomic writes, COMPARE AND WRITE and ORWRITE
 * serialise on the extent lock. No atomic boundaries: ATOMIC BOUNDARY must be zero.
 */
import type { AtomicWriteLog } from '../block/atomic-write-log.js';
import type { HandlerPlan } from './descriptor.js';
import type { CommandContext } from './types.js';
import type { AdvancedLu } from './commands-advanced.js';
import { Asc, SenseError, SenseKey, invalidCdbField } from './sense.js';
import { MAX_ATOMIC_WRITE_BYTES } from './limits.js';

/** The LU members this command needs beyond AdvancedLu. */
export interface AtomicLu extends AdvancedLu {
  /** Absent on a read-only LU. */
  readonly atomicWrites: AtomicWriteLog | undefined;
}

/** MAXIMUM ATOMIC TRANSFER LENGTH, in blocks. */
export function maxAtomicBlocks(blockSize: number): number {
  return Math.floor(MAX_ATOMIC_WRITE_BYTES / blockSize);
}

export function prepareWriteAtomic(lu: AtomicLu, ctx: CommandContext): HandlerPlan {
  const cdb = ctx.cdb;
  // No protection information: WRPROTECT must be 0.
  if (cdb[1]! >> 5 !== 0) throw invalidCdbField(1, 7);
  if (cdb.readUInt16BE(10) !== 0) throw invalidCdbField(10);
  const blocks = cdb.readUInt16BE(12);
  // A write past the end is that first, whatever its length (as for WRITE): libiscsi's
  // WriteAtomic16.BeyondEol sends up to 512 blocks past the end, over the 256 of a 4 KiB LU.
  const lba = lu.checkRange(cdb.readBigUInt64BE(2), blocks, 2);
  if (blocks > maxAtomicBlocks(lu.blockSize)) throw invalidCdbField(12);
  const log = lu.atomicWrites;
  if (!log) throw new SenseError({ key: SenseKey.DATA_PROTECT, asc: Asc.WRITE_PROTECTED });
  const bytes = blocks * lu.blockSize;
  if (blocks === 0) return { dataOutLength: 0, run: () => undefined };
  return {
    dataOutLength: bytes,
    run: async (dataOut) => {
      // Atomic means all blocks: a short Data-Out writes nothing.
      if (!dataOut || dataOut.length < bytes) throw new SenseError({ key: SenseKey.ILLEGAL_REQUEST, asc: Asc.PARAMETER_LIST_LENGTH_ERROR });
      const release = await lu.extentLocks.acquire(lba, blocks);
      try {
        // Always durable on completion (the log demands it), so neither FUA nor WCE=0 needs more.
        await log.write(dataOut.subarray(0, bytes), lba * lu.blockSize, lu.writerFor(ctx.nexus));
      } finally {
        release();
      }
    },
  };
}
