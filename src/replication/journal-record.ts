/**
 * One staging-journal record: a 40-byte header then the write's bytes.
 *   0 magic "TJR1" | 4 kind (1 data, 2 wrap, 3 pass begin, 4 pass commit, 5 discard) + 3 reserved
 *   8 epoch u32 | 12 length u32
 *   16 seq u64 | 24 offset u64 | 32 reserved | 36 CRC32C of bytes 0-35 then the data
 * A wrap record (no data) tells recovery the next record starts at file offset 0. A discard
 * record's data is the 8-byte length of the range it deallocates from `offset`. The
 * epoch (bumped at every recovery) keeps records left beyond a crash's stop point from
 * ever being read back as successors of records written after it.
 */
import { crc32c } from '../util/crc32c.js';

export const RECORD_HEADER_BYTES = 40;
export const RECORD_MAGIC = 0x544a5231;
/** WRAP belongs to the staging journal's ring; PASS_* to a backup's staged pass log (pass-staging-log.ts). */
export const RecordKind = { DATA: 1, WRAP: 2, PASS_BEGIN: 3, PASS_COMMIT: 4, DISCARD: 5 } as const;
/** Data bytes of a DISCARD record: the u64 length of the range. */
export const DISCARD_RECORD_DATA_BYTES = 8;
export type RecordKindCode = (typeof RecordKind)[keyof typeof RecordKind];

export interface RecordHeader {
  kind: RecordKindCode;
  epoch: number;
  /** Sequence number in acknowledgement order. */
  seq: number;
  /** Byte offset of the write on the volume. */
  offset: number;
  length: number;
}

const CRC_AT = 36;

export type RecordErrorReason = 'short' | 'magic' | 'kind' | 'length' | 'crc';

/** A record that is not whole and valid: recovery stops at the first one. */
export class JournalRecordError extends Error {
  constructor(
    readonly reason: RecordErrorReason,
    message: string,
  ) {
    super(message);
    this.name = 'JournalRecordError';
  }
}

export function encodeRecordHeader(h: RecordHeader, data: Buffer): Buffer {
  if (data.length !== h.length) throw new RangeError(`record length ${h.length} but ${data.length} data bytes`);
  if (!Number.isSafeInteger(h.seq) || h.seq < 0 || !Number.isSafeInteger(h.offset) || h.offset < 0) throw new RangeError('seq and offset must be safe non-negative integers');
  if (h.length > 0xffffffff) throw new RangeError('record too long');
  if (!Number.isInteger(h.epoch) || h.epoch < 0 || h.epoch > 0xffffffff) throw new RangeError('epoch must be a u32');
  const b = Buffer.alloc(RECORD_HEADER_BYTES);
  b.writeUInt32BE(RECORD_MAGIC, 0);
  b[4] = h.kind;
  b.writeUInt32BE(h.epoch, 8);
  b.writeUInt32BE(h.length, 12);
  b.writeBigUInt64BE(BigInt(h.seq), 16);
  b.writeBigUInt64BE(BigInt(h.offset), 24);
  b.writeUInt32BE(crc32c(data, crc32c(b.subarray(0, CRC_AT))) >>> 0, CRC_AT);
  return b;
}

/** Parses a header, checking what it can without the data; `maxLength` bounds the claimed length. */
export function decodeRecordHeader(buf: Buffer, at: number, maxLength: number): RecordHeader {
  if (buf.length - at < RECORD_HEADER_BYTES) throw new JournalRecordError('short', 'truncated record header');
  if (buf.readUInt32BE(at) !== RECORD_MAGIC) throw new JournalRecordError('magic', 'bad record magic');
  const kind = buf[at + 4]!;
  if (kind < RecordKind.DATA || kind > RecordKind.DISCARD) throw new JournalRecordError('kind', `unknown record kind ${kind}`);
  const epoch = buf.readUInt32BE(at + 8);
  const length = buf.readUInt32BE(at + 12);
  const seq = buf.readBigUInt64BE(at + 16);
  const offset = buf.readBigUInt64BE(at + 24);
  if (seq > BigInt(Number.MAX_SAFE_INTEGER) || offset > BigInt(Number.MAX_SAFE_INTEGER)) throw new JournalRecordError('length', 'seq or offset out of range');
  if (length > maxLength || (kind === RecordKind.DISCARD ? length !== DISCARD_RECORD_DATA_BYTES : kind !== RecordKind.DATA && length !== 0)) throw new JournalRecordError('length', `record length ${length} out of range`);
  return { kind: kind as RecordKindCode, epoch, seq: Number(seq), offset: Number(offset), length };
}

/** Verifies the CRC of a header (at `at`) and its data (a view, not a copy). */
export function verifyRecord(buf: Buffer, at: number, data: Buffer): void {
  const expected = buf.readUInt32BE(at + CRC_AT);
  if ((crc32c(data, crc32c(buf.subarray(at, at + CRC_AT))) >>> 0) !== expected) throw new JournalRecordError('crc', 'record checksum mismatch');
}

/** Header then data, fully checked; the data is a view into `buf`. */
export function decodeRecord(buf: Buffer, at: number, maxLength: number): { header: RecordHeader; data: Buffer } {
  const header = decodeRecordHeader(buf, at, maxLength);
  const start = at + RECORD_HEADER_BYTES;
  if (buf.length - start < header.length) throw new JournalRecordError('short', 'truncated record data');
  const data = buf.subarray(start, start + header.length);
  verifyRecord(buf, at, data);
  return { header, data };
}
