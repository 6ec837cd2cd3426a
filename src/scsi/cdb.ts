/** CDB field helpers shared by the command handlers (SBC-3 §5, SPC-4 §4.2). */
import { invalidCdbField } from './sense.js';
import { MAX_TRANSFER_BYTES } from './limits.js';
import type { LogicalUnit } from './logical-unit.js';

export function u16(cdb: Buffer, at: number): number {
  return cdb.readUInt16BE(at);
}

export function u24(cdb: Buffer, at: number): number {
  return (cdb[at]! << 16) | cdb.readUInt16BE(at + 1);
}

export function u32(cdb: Buffer, at: number): number {
  return cdb.readUInt32BE(at);
}

export function u64(cdb: Buffer, at: number): bigint {
  return cdb.readBigUInt64BE(at);
}

/** Truncate Data-In to the allocation length (SPC-4 §4.2.5.6): never an error. */
export function clip(data: Buffer, allocationLength: number): Buffer {
  return data.length > allocationLength ? data.subarray(0, allocationLength) : data;
}

/** Where the LBA and TRANSFER LENGTH fields sit in a block command CDB. */
export interface BlockFields {
  /**
   * blockFields gives a number, so the per-I/O path does no BigInt arithmetic: exact below
   * 2^53; a 16-byte CDB's LBA of 2^53 or more comes out as a number >= 2^53, which
   * checkRange refuses. Other decoders may pass a bigint.
   */
  lba: number | bigint;
  blocks: number;
  lbaByte: number;
  lengthByte: number;
}

/** LBA and TRANSFER LENGTH of a 6/10/12/16-byte block command, by the opcode's group code. */
export function blockFields(cdb: Buffer): BlockFields {
  switch (cdb[0]! >> 5) {
    case 0: {
      // 6-byte: 21-bit LBA, TRANSFER LENGTH 0 means 256 blocks (SBC-3 §5.15).
      const lba = ((cdb[1]! & 0x1f) << 16) | cdb.readUInt16BE(2);
      return { lba, blocks: cdb[4] === 0 ? 256 : cdb[4]!, lbaByte: 1, lengthByte: 4 };
    }
    case 1:
    case 2:
      return { lba: u32(cdb, 2), blocks: u16(cdb, 7), lbaByte: 2, lengthByte: 7 };
    case 5:
      return { lba: u32(cdb, 2), blocks: u32(cdb, 6), lbaByte: 2, lengthByte: 6 };
    case 4:
      return { lba: u32(cdb, 2) * 2 ** 32 + u32(cdb, 6), blocks: u32(cdb, 10), lbaByte: 2, lengthByte: 10 };
    default:
      throw new Error(`not a block command: opcode 0x${cdb[0]!.toString(16)}`);
  }
}

/**
 * Validate a transfer's range and size: LBA OUT OF RANGE beyond capacity, INVALID FIELD IN
 * CDB at the transfer-length byte when larger than we accept in one command.
 */
export function checkTransfer(lu: LogicalUnit, f: BlockFields): number {
  const lba = lu.checkRange(f.lba, f.blocks, f.lbaByte);
  if (f.blocks * lu.blockSize > MAX_TRANSFER_BYTES) throw invalidCdbField(f.lengthByte);
  return lba;
}

/** PROTECT field (bits 7-5 of byte 1): we format without protection information. */
export function rejectProtection(cdb: Buffer): void {
  if (cdb[1]! & 0xe0) throw invalidCdbField(1, 7);
}
