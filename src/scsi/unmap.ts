import type { HandlerPlan } from './descriptor.js';
import type { CommandContext } from './types.js';
import { Asc, SenseError, SenseKey, invalidCdbField, invalidParamField, lbaOutOfRange } from './sense.js';
import type { AdvancedLu } from './commands-advanced.js';
import { MAX_UNMAP_LBA_COUNT } from '../replica-protocol/index.js';
import { MAX_UNMAP_DESCRIPTORS } from './limits.js';
import { deallocateBlocks } from './write-same.js';
import { writesThrough } from './write.js';

const HEADER_LENGTH = 8;
const DESCRIPTOR_LENGTH = 16;

export interface UnmapRange {
  lba: number;
  blocks: number;
}

function parameterListLengthError(): SenseError {
  return new SenseError({ key: SenseKey.ILLEGAL_REQUEST, asc: Asc.PARAMETER_LIST_LENGTH_ERROR });
}

/**
 * Validate an UNMAP parameter list (SBC-3 §5.28.2) completely before anything is
 * discarded, so a bad descriptor leaves the medium untouched.
 */
export function parseUnmapParameters(data: Buffer, blockCount: number): UnmapRange[] {
  if (data.length === 0) return [];
  if (data.length < HEADER_LENGTH) throw parameterListLengthError();
  const descriptorBytes = data.readUInt16BE(2);
  // A length claiming more than was sent is cut to what was sent; a partial trailing descriptor is ignored.
  const usable = Math.min(descriptorBytes, data.length - HEADER_LENGTH);
  const count = Math.floor(usable / DESCRIPTOR_LENGTH);
  if (count > MAX_UNMAP_DESCRIPTORS) throw invalidParamField(2);
  const ranges: UnmapRange[] = [];
  let total = 0;
  for (let i = 0; i < count; i++) {
    const off = HEADER_LENGTH + i * DESCRIPTOR_LENGTH;
    const lba = data.readBigUInt64BE(off);
    const blocks = data.readUInt32BE(off + 8);
    if (blocks > MAX_UNMAP_LBA_COUNT) throw invalidParamField(off + 8);
    total += blocks;
    if (total > MAX_UNMAP_LBA_COUNT) throw invalidParamField(off + 8);
    if (lba + BigInt(blocks) > BigInt(blockCount)) throw lbaOutOfRange({ inCdb: false, byte: off });
    if (blocks > 0) ranges.push({ lba: Number(lba), blocks });
  }
  return ranges;
}

/** UNMAP (42h): deallocate each described range; deallocated blocks read back as zeroes. */
export function prepareUnmap(lu: AdvancedLu, ctx: CommandContext): HandlerPlan {
  const cdb = ctx.cdb;
  if (cdb[1]! & 0x01) throw invalidCdbField(1, 0); // ANCHOR: ANC_SUP=0
  const length = cdb.readUInt16BE(7);
  if (length > 0 && length < HEADER_LENGTH) throw parameterListLengthError();
  return {
    dataOutLength: length,
    run: async (dataOut) => {
      const data = dataOut ? dataOut.subarray(0, length) : Buffer.alloc(0);
      if (data.length < length) throw parameterListLengthError();
      const writer = lu.writerFor(ctx.nexus);
      const fua = writesThrough(lu, false);
      for (const r of parseUnmapParameters(data, lu.blockCount)) {
        const release = await lu.extentLocks.acquire(r.lba, r.blocks);
        try {
          await deallocateBlocks(writer, lu.blockSize, r.lba, r.blocks, fua);
        } finally {
          release();
        }
      }
    },
  };
}
