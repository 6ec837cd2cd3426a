import type { HandlerPlan } from './descriptor.js';
import type { CommandContext } from './types.js';
import { Asc, SenseError, SenseKey, invalidCdbField, lbaOutOfRange } from './sense.js';
import type { AdvancedLu } from './commands-advanced.js';
import type { MediumWriter } from './medium-writer.js';
import { MAX_WRITE_SAME_BLOCKS } from './limits.js';
import { writesThrough } from './write.js';

/** Largest buffer one WRITE SAME fills and rewrites repeatedly: memory stays bounded. */
export const FILL_CHUNK_BYTES = 1024 * 1024;
/** Discard granularity: partial units at the edges are written with zeroes instead. */
export const DISCARD_ALIGN_BYTES = 4096;

/** Write `pattern` (one block) repeatedly over [offset, offset+length), from one reused buffer. */
export async function writeRepeated(device: Pick<MediumWriter, 'write'>, pattern: Buffer, offset: number, length: number, fua = false): Promise<void> {
  if (length <= 0) return;
  const unit = pattern.length;
  const chunk = Math.max(unit, Math.floor(Math.min(FILL_CHUNK_BYTES, length) / unit) * unit);
  const buf = Buffer.allocUnsafe(chunk);
  buf.fill(pattern);
  for (let done = 0; done < length; done += chunk) {
    const n = Math.min(chunk, length - done);
    await device.write(n === chunk ? buf : buf.subarray(0, n), offset + done, fua);
  }
}

/**
 * Deallocate a block range so that it reads back as zeroes (we report LBPRZ): the
 * aligned middle is discarded, unaligned edges are written with zeroes. A device that
 * cannot discard gets zeroes written over the whole range.
 */
export async function deallocateBlocks(writer: MediumWriter, blockSize: number, lba: number, blocks: number, fua = false): Promise<void> {
  if (blocks <= 0) return;
  const zero = Buffer.alloc(blockSize);
  const start = lba * blockSize;
  const end = start + blocks * blockSize;
  if (!writer.canDiscard) return writeRepeated(writer, zero, start, end - start, fua);
  const alignedStart = Math.ceil(start / DISCARD_ALIGN_BYTES) * DISCARD_ALIGN_BYTES;
  const alignedEnd = Math.floor(end / DISCARD_ALIGN_BYTES) * DISCARD_ALIGN_BYTES;
  if (alignedStart >= alignedEnd) return writeRepeated(writer, zero, start, end - start, fua);
  await writeRepeated(writer, zero, start, alignedStart - start, fua);
  await writer.discard(alignedStart, alignedEnd - alignedStart);
  await writeRepeated(writer, zero, alignedEnd, end - alignedEnd, fua);
  // A discard takes no FUA: writing through (WCE=0), its deallocation is made durable before GOOD.
  if (fua) await writer.flush();
}

interface WriteSameFields {
  lba: bigint;
  blocks: number;
  unmap: boolean;
  anchor: boolean;
  ndob: boolean;
  wrprotect: number;
  /** Byte offsets of the LBA and NUMBER OF LOGICAL BLOCKS fields, for pointers. */
  lbaField: number;
  blocksField: number;
}

/** WRITE SAME(10) 41h and WRITE SAME(16) 93h (SBC-3 §5.42-5.44). */
export function parseWriteSame(cdb: Buffer): WriteSameFields {
  const flags = cdb[1]!;
  const common = { unmap: (flags & 0x08) !== 0, anchor: (flags & 0x10) !== 0, wrprotect: flags >> 5 };
  if (cdb[0] === 0x41) {
    return { ...common, lba: BigInt(cdb.readUInt32BE(2)), blocks: cdb.readUInt16BE(7), ndob: false, lbaField: 2, blocksField: 7 };
  }
  return { ...common, lba: cdb.readBigUInt64BE(2), blocks: cdb.readUInt32BE(10), ndob: (flags & 0x01) !== 0, lbaField: 2, blocksField: 10 };
}

export function prepareWriteSame(lu: AdvancedLu, ctx: CommandContext): HandlerPlan {
  const f = parseWriteSame(ctx.cdb);
  // No protection information on our LUs (SBC-3 Table 97: WRPROTECT must be 0).
  if (f.wrprotect !== 0) throw invalidCdbField(1, 7);
  // Anchored LBAs are not supported (ANC_SUP=0).
  if (f.anchor) throw invalidCdbField(1, 4);
  // NUMBER OF LOGICAL BLOCKS 0 means "to the last LBA" (we report WSNZ=0).
  if (f.lba >= BigInt(lu.blockCount)) throw lbaOutOfRange({ inCdb: true, byte: f.lbaField });
  const blocks = f.blocks === 0 ? lu.blockCount - Number(f.lba) : f.blocks;
  if (blocks > MAX_WRITE_SAME_BLOCKS) throw invalidCdbField(f.blocksField);
  const lba = lu.checkRange(f.lba, blocks, f.lbaField);
  const dataOutLength = f.ndob ? 0 : lu.blockSize;
  // A transfer length other than one block is a malformed command, not a short write.
  if (ctx.req.expectedLength !== dataOutLength) {
    throw new SenseError({ key: SenseKey.ILLEGAL_REQUEST, asc: Asc.INVALID_FIELD_IN_CDB });
  }
  return {
    dataOutLength,
    run: async (dataOut) => {
      const pattern = f.ndob ? Buffer.alloc(lu.blockSize) : dataOut;
      if (!pattern || pattern.length < lu.blockSize) {
        throw new SenseError({ key: SenseKey.ILLEGAL_REQUEST, asc: Asc.PARAMETER_LIST_LENGTH_ERROR });
      }
      const block = pattern.subarray(0, lu.blockSize);
      // No FUA bit: written through only when the initiator turned the write cache off.
      const fua = writesThrough(lu, false);
      const release = await lu.extentLocks.acquire(lba, blocks);
      try {
        const writer = lu.writerFor(ctx.nexus);
        // UNMAP=1 deallocates whatever the block holds: libiscsi's WriteSame10/16.UnmapUntilEnd
        // sends 0xFF blocks and expects zeroes back under LBPRZ=1 (a stricter reading, writing a
        // non-zero block, failed it in every configuration).
        if (f.unmap) await deallocateBlocks(writer, lu.blockSize, lba, blocks, fua);
        else await writeRepeated(writer, block, lba * lu.blockSize, blocks * lu.blockSize, fua);
      } finally {
        release();
      }
    },
  };
}
