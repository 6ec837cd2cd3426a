/**
 * WRITE SCATTERED(16) (SERVICE ACTION OUT(16) 9Fh/12h, SBC-4 §5.52): several LBA ranges in
 * one command. The Data-Out buffer holds a 32-byte header, one 32-byte LBA range descriptor
 * per range (LBA, NUMBER OF LOGICAL BLOCKS), padded to LOGICAL BLOCK DATA OFFSET blocks,
 * then the ranges' data back to back (BUFFER TRANSFER LENGTH blocks): many small writes for
 * one command and one response. The whole parameter list is checked before anything is
 * written; the ranges are then written concurrently (they may not overlap).
 */
import type { CommandDescriptor, HandlerPlan } from './descriptor.js';
import { ConflictClass, type CommandContext } from './types.js';
import { invalidCdbField, invalidParamField, lbaOutOfRange } from './sense.js';
import type { AdvancedLu } from './commands-advanced.js';
import { MAX_TRANSFER_BYTES } from './limits.js';
import { writesThrough } from './write.js';

export const SCATTERED_HEADER_BYTES = 32;
export const SCATTERED_DESCRIPTOR_BYTES = 32;
/** Ranges per command we take (and advertise through REPORT SUPPORTED OPERATION CODES' usage data). */
export const MAX_SCATTERED_RANGES = 1024;

export interface ScatteredFields {
  fua: boolean;
  /** Blocks before the data: the header and descriptors, padded. */
  dataOffsetBlocks: number;
  ranges: number;
  /** Blocks of data after the offset. */
  transferBlocks: number;
}

export interface ScatteredRange {
  lba: number;
  blocks: number;
}

/** The CDB's fields; throws INVALID FIELD IN CDB with the field's position for what we refuse. */
export function parseScatteredCdb(cdb: Buffer): ScatteredFields {
  // No protection information on our LUs: WRPROTECT must be 0.
  if (cdb[2]! >> 5 !== 0) throw invalidCdbField(2, 7);
  const fields = { fua: (cdb[2]! & 0x08) !== 0, dataOffsetBlocks: cdb.readUInt16BE(4), ranges: cdb.readUInt16BE(8), transferBlocks: cdb.readUInt32BE(10) };
  if (fields.ranges > MAX_SCATTERED_RANGES) throw invalidCdbField(8);
  return fields;
}

/** Data-Out bytes the command carries. */
export function scatteredTransferBytes(f: ScatteredFields, blockSize: number): number {
  return f.transferBlocks === 0 ? 0 : (f.dataOffsetBlocks + f.transferBlocks) * blockSize;
}

/**
 * The LBA range descriptors, all checked: each on the medium, none overlapping another,
 * their blocks together within BUFFER TRANSFER LENGTH. `data` is the whole Data-Out buffer.
 */
export function parseScatteredRanges(data: Buffer, f: ScatteredFields, blockSize: number, blockCount: number): ScatteredRange[] {
  const ranges: ScatteredRange[] = [];
  /** Each range's descriptor offset in `data` (zero-length descriptors have no range). */
  const descriptorAt: number[] = [];
  let total = 0;
  for (let i = 0; i < f.ranges; i++) {
    const at = SCATTERED_HEADER_BYTES + i * SCATTERED_DESCRIPTOR_BYTES;
    // A number, not a bigint, on this per-write path: exact below 2^53, and anything from
    // 2^53 up stays at least 2^53, beyond every LU.
    const lba = data.readUInt32BE(at) * 2 ** 32 + data.readUInt32BE(at + 4);
    const blocks = data.readUInt32BE(at + 8);
    total += blocks;
    if (total > f.transferBlocks) throw invalidParamField(at + 8);
    if (lba + blocks > blockCount) throw lbaOutOfRange({ inCdb: false, byte: at });
    if (blocks > 0) {
      ranges.push({ lba, blocks });
      descriptorAt.push(at);
    }
  }
  const byLba = ranges.map((_, i) => i).sort((a, b) => ranges[a]!.lba - ranges[b]!.lba);
  for (let i = 1; i < byLba.length; i++) {
    const previous = ranges[byLba[i - 1]!]!;
    if (ranges[byLba[i]!]!.lba < previous.lba + previous.blocks) throw invalidParamField(descriptorAt[byLba[i]!]!);
  }
  return ranges;
}

export function prepareWriteScattered(lu: AdvancedLu, ctx: CommandContext): HandlerPlan {
  const f = parseScatteredCdb(ctx.cdb);
  const bytes = scatteredTransferBytes(f, lu.blockSize);
  if (bytes === 0) return { dataOutLength: 0, run: () => undefined };
  // The descriptors must fit before the data.
  if (f.dataOffsetBlocks * lu.blockSize < SCATTERED_HEADER_BYTES + f.ranges * SCATTERED_DESCRIPTOR_BYTES) throw invalidCdbField(4);
  if (bytes > MAX_TRANSFER_BYTES) throw invalidCdbField(10);
  return {
    dataOutLength: bytes,
    run: (dataOut, hold) => {
      if (!dataOut || dataOut.length < bytes) throw invalidCdbField(10);
      const ranges = parseScatteredRanges(dataOut, f, lu.blockSize, lu.blockCount);
      const writer = lu.writerFor(ctx.nexus);
      const fua = writesThrough(lu, f.fua);
      let at = f.dataOffsetBlocks * lu.blockSize;
      const writes = ranges.map((r) => {
        const length = r.blocks * lu.blockSize;
        const write = writer.write(dataOut.subarray(at, at + length), r.lba * lu.blockSize, fua, hold);
        at += length;
        return write;
      });
      return Promise.all(writes).then(() => undefined);
    },
  };
}

export const writeScatteredCommands: CommandDescriptor[] = [
  {
    name: 'WRITE SCATTERED(16)', opcode: 0x9f, serviceAction: 0x12, cdbLength: 16, direction: 'out', writesMedium: true, accessesMedium: true,
    conflict: ConflictClass.Write, replicaStream: true, usage: [0x9f, 0x12, 0x18, 0, 0xff, 0xff, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0],
    prepare: prepareWriteScattered,
  },
];
