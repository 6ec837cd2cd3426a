/**
 * C6h READ CHANGE MAP (docs/vendor-commands.md §10): a slice of an LU's delta table, the
 * chunks it changed (or may lack) since the generation the map is relative to. A resync
 * source reads its target's map to send the union of both sides' changes and nothing else.
 *
 * CDB (16 bytes): 0 opcode C6h | 1 reserved | 2-9 starting byte of the bitmap |
 * 10-13 allocation length | 14 reserved | 15 control.
 * Data-In: a 32-byte header (0-7 base generation, 8-11 chunk size, 16-23 chunk count,
 * 24-31 bitmap bytes in all) and the bitmap from the starting byte: chunk c is bit c & 7
 * of byte c >> 3.
 */
import { ChallengeFormatError } from './errors.js';

export const READ_CHANGE_MAP_OPCODE = 0xc6;
export const CHANGE_MAP_HEADER_BYTES = 32;

export interface ReadChangeMapCdb {
  startByte: number;
  allocationLength: number;
}

export interface ChangeMapSlice {
  /** The generation the map is relative to. */
  base: bigint;
  chunkSize: number;
  chunkCount: number;
  /** Bitmap bytes of the whole map. */
  totalBytes: number;
  /** The bitmap bytes from the requested start (fewer when the allocation length cuts it). */
  bits: Buffer;
}

export function encodeReadChangeMapCdb(c: ReadChangeMapCdb): Buffer {
  const cdb = Buffer.alloc(16);
  cdb[0] = READ_CHANGE_MAP_OPCODE;
  cdb.writeBigUInt64BE(BigInt(c.startByte), 2);
  cdb.writeUInt32BE(c.allocationLength, 10);
  return cdb;
}

export function encodeChangeMapData(slice: ChangeMapSlice, allocationLength: number): Buffer {
  const out = Buffer.alloc(CHANGE_MAP_HEADER_BYTES + slice.bits.length);
  out.writeBigUInt64BE(slice.base, 0);
  out.writeUInt32BE(slice.chunkSize, 8);
  out.writeBigUInt64BE(BigInt(slice.chunkCount), 16);
  out.writeBigUInt64BE(BigInt(slice.totalBytes), 24);
  slice.bits.copy(out, CHANGE_MAP_HEADER_BYTES);
  return out.subarray(0, Math.min(out.length, allocationLength));
}

export function decodeChangeMapData(data: Buffer): ChangeMapSlice {
  if (data.length < CHANGE_MAP_HEADER_BYTES) throw new ChallengeFormatError(`change map data of ${data.length} bytes has no header`);
  const chunkCount = Number(data.readBigUInt64BE(16));
  const totalBytes = Number(data.readBigUInt64BE(24));
  if (totalBytes !== Math.ceil(chunkCount / 8)) throw new ChallengeFormatError('change map size does not match its chunk count');
  return { base: data.readBigUInt64BE(0), chunkSize: data.readUInt32BE(8), chunkCount, totalBytes, bits: data.subarray(CHANGE_MAP_HEADER_BYTES) };
}
