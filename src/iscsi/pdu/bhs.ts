/**
 * Basic Header Segment (RFC 7143 §11.2.1): the 48 bytes every PDU starts with.
 * Byte 0: I bit (0x40) and opcode; byte 1: F bit (0x80) and opcode-specific flags;
 * byte 4: TotalAHSLength in 4-byte words; bytes 5-7: DataSegmentLength; 16-19: ITT.
 */
import { RejectReason } from './opcodes.js';
import { PduError } from './pdu-error.js';

export const BHS_LENGTH = 48;
export const DIGEST_LENGTH = 4;
/** DataSegmentLength is a 24-bit field. */
export const MAX_DATA_SEGMENT_LENGTH = 0xffffff;

export function readOpcode(bhs: Buffer): number {
  return bhs[0]! & 0x3f;
}

export function readImmediate(bhs: Buffer): boolean {
  return (bhs[0]! & 0x40) !== 0;
}

export function readFinal(bhs: Buffer): boolean {
  return (bhs[1]! & 0x80) !== 0;
}

/** AHS length in bytes, of the BHS at `at` (a header still inside its socket chunk needs no view of its own). */
export function readAhsLength(bhs: Buffer, at = 0): number {
  return bhs[at + 4]! * 4;
}

export function readDataSegmentLength(bhs: Buffer): number {
  return (bhs[5]! << 16) | (bhs[6]! << 8) | bhs[7]!;
}

export function readItt(bhs: Buffer): number {
  return bhs.readUInt32BE(16);
}

/**
 * A zeroed BHS with opcode, I bit and F bit set. Cut from Node's shared allocation pool:
 * Buffer.alloc(48) would be a V8 on-heap array that the socket write must first move to a
 * fresh off-heap ArrayBuffer (a malloc per PDU sent).
 */
export function newBhs(opcode: number, immediate = false, final = true): Buffer {
  const bhs = Buffer.allocUnsafe(BHS_LENGTH).fill(0);
  bhs[0] = (immediate ? 0x40 : 0) | opcode;
  bhs[1] = final ? 0x80 : 0;
  return bhs;
}

export function writeDataSegmentLength(bhs: Buffer, length: number): void {
  if (length < 0 || length > MAX_DATA_SEGMENT_LENGTH) throw new RangeError(`data segment length ${length}`);
  bhs[5] = (length >>> 16) & 0xff;
  bhs[6] = (length >>> 8) & 0xff;
  bhs[7] = length & 0xff;
}

export function writeAhsLength(bhs: Buffer, bytes: number): void {
  if (bytes % 4 !== 0 || bytes / 4 > 0xff) throw new RangeError(`AHS length ${bytes}`);
  bhs[4] = bytes / 4;
}

/**
 * LUN fields of the first level alone (the last six bytes zero: every LUN a target here
 * has), by their first two bytes, for addressing methods 0 and 1 (at most 32,768 of them):
 * made once, so that a command's LUN costs no bigint allocation to read, decode or echo
 * (every SCSI Command PDU carries one, and Data-In and R2T echo it).
 */
const firstLevelFields: bigint[] = [];
const firstBytesOfField = new Map<bigint, number>();
const CACHED_FIRST_BYTES = 0x8000;

function firstLevelField(first: number): bigint {
  const cached = firstLevelFields[first];
  if (cached !== undefined) return cached;
  const field = BigInt(first) << 48n;
  if (first < CACHED_FIRST_BYTES) {
    firstLevelFields[first] = field;
    firstBytesOfField.set(field, first);
  }
  return field;
}

/** The raw 8-byte LUN field at bytes 8-15. */
export function readLunField(bhs: Buffer): bigint {
  const high = bhs.readUInt32BE(8);
  if ((high & 0xffff) === 0 && bhs.readUInt32BE(12) === 0) return firstLevelField(high >>> 16);
  return bhs.readBigUInt64BE(8);
}

export function writeLunField(bhs: Buffer, lun: bigint): void {
  const first = firstBytesOfField.get(lun);
  if (first === undefined) {
    bhs.writeBigUInt64BE(BigInt.asUintN(64, lun), 8);
    return;
  }
  bhs.writeUInt32BE(first * 0x10000, 8);
  bhs.writeUInt32BE(0, 12);
}

/** A LUN no target has; used when the LUN field uses an addressing method we do not decode. */
export const UNADDRESSABLE_LUN = -1;

/**
 * First-level LUN from the 8-byte field (SAM-5 §4.7): peripheral (00b) and flat (01b)
 * addressing both carry a 14-bit number in the first two bytes.
 */
export function lunFromField(field: bigint): number {
  const first = firstBytesOfField.get(field) ?? Number(field >> 48n) & 0xffff;
  const method = first >> 14;
  if (method > 1) return UNADDRESSABLE_LUN;
  // Peripheral addressing with bus 0 is the usual form for LUN < 256; flat above.
  if (method === 0 && first >> 8 !== 0) return UNADDRESSABLE_LUN;
  return first & 0x3fff;
}

/** Encodes a LUN the way Linux and libiscsi do: peripheral below 256, flat above. */
export function lunToField(lun: number): bigint {
  if (!Number.isInteger(lun) || lun < 0 || lun > 0x3fff) throw new RangeError(`LUN ${lun}`);
  return firstLevelField(lun < 256 ? lun : 0x4000 | lun);
}

/** Throws unless `header` holds at least a BHS of the given opcode. */
export function expectOpcode(header: Buffer, opcode: number): void {
  if (header.length < BHS_LENGTH) throw new PduError(RejectReason.PROTOCOL_ERROR, `header of ${header.length} bytes`);
  if (readOpcode(header) !== opcode) {
    throw new PduError(RejectReason.PROTOCOL_ERROR, `opcode 0x${readOpcode(header).toString(16)}, expected 0x${opcode.toString(16)}`);
  }
}

/** StatSN, ExpCmdSN, MaxCmdSN: bytes 24-35 of every target response PDU (RFC 7143 §11). */
export interface TargetSequence {
  statSN: number;
  expCmdSN: number;
  maxCmdSN: number;
}

export function writeTargetSequence(bhs: Buffer, p: TargetSequence): void {
  bhs.writeUInt32BE(p.statSN >>> 0, 24);
  bhs.writeUInt32BE(p.expCmdSN >>> 0, 28);
  bhs.writeUInt32BE(p.maxCmdSN >>> 0, 32);
}

export function readTargetSequence(bhs: Buffer): TargetSequence {
  return { statSN: bhs.readUInt32BE(24), expCmdSN: bhs.readUInt32BE(28), maxCmdSN: bhs.readUInt32BE(32) };
}
