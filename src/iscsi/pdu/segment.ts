/**
 * Everything after the BHS: Additional Header Segments, data-segment padding and the
 * optional CRC32C digests (RFC 7143 §11.2.2-§11.2.5).
 */
import { crc32c } from '../../util/crc32c.js';
import { BHS_LENGTH } from './bhs.js';
import { RejectReason } from './opcodes.js';
import { PduError } from './pdu-error.js';

export const AhsType = { EXTENDED_CDB: 1, BIDI_READ_LENGTH: 2 } as const;

/** Largest CDB we accept (16 in the BHS + extended CDB AHS); SPC allows up to 260. */
export const MAX_CDB_LENGTH = 260;

const ZERO_PAD = Buffer.alloc(4);
/** The padding for each remainder, made once (one view less per PDU sent). */
const PADS = [0, 1, 2, 3].map((n) => ZERO_PAD.subarray(0, n));

/** Bytes of zero padding after a data segment of `length` bytes. */
export function padLength(length: number): number {
  return (4 - (length & 3)) & 3;
}

export function paddingFor(length: number): Buffer {
  return PADS[padLength(length)]!;
}

export interface AdditionalHeaders {
  /** CDB bytes beyond the 16 in the BHS. */
  extendedCdb?: Buffer;
  bidiReadLength?: number;
}

/** Parses the AHS area (TotalAHSLength × 4 bytes after the BHS). */
export function parseAhs(ahs: Buffer): AdditionalHeaders {
  const out: AdditionalHeaders = {};
  let pos = 0;
  while (pos < ahs.length) {
    if (ahs.length - pos < 4) throw new PduError(RejectReason.INVALID_PDU_FIELD, 'truncated AHS');
    // AHSLength counts the type-specific bytes after AHSType (including its first, reserved byte).
    const length = ahs.readUInt16BE(pos);
    const type = ahs[pos + 2]!;
    const end = pos + 3 + length;
    if (length < 1 || end > ahs.length) throw new PduError(RejectReason.INVALID_PDU_FIELD, `AHS length ${length} overruns`);
    const specific = ahs.subarray(pos + 4, end);
    if (type === AhsType.EXTENDED_CDB) {
      if (out.extendedCdb || specific.length === 0 || 16 + specific.length > MAX_CDB_LENGTH) {
        throw new PduError(RejectReason.INVALID_PDU_FIELD, 'bad extended CDB AHS');
      }
      out.extendedCdb = specific;
    } else if (type === AhsType.BIDI_READ_LENGTH) {
      if (length !== 5 || out.bidiReadLength !== undefined) throw new PduError(RejectReason.INVALID_PDU_FIELD, 'bad bidi AHS');
      out.bidiReadLength = specific.readUInt32BE(0);
    } else {
      throw new PduError(RejectReason.INVALID_PDU_FIELD, `unknown AHS type ${type}`);
    }
    pos = end + padLength(end);
  }
  return out;
}

/** Encodes AHS entries; the result's length is a multiple of 4. */
export function encodeAhs(headers: AdditionalHeaders): Buffer {
  const parts: Buffer[] = [];
  if (headers.extendedCdb && headers.extendedCdb.length > 0) {
    const len = headers.extendedCdb.length + 1;
    const b = Buffer.alloc(3 + len + padLength(3 + len));
    b.writeUInt16BE(len, 0);
    b[2] = AhsType.EXTENDED_CDB;
    headers.extendedCdb.copy(b, 4);
    parts.push(b);
  }
  if (headers.bidiReadLength !== undefined) {
    const b = Buffer.alloc(8);
    b.writeUInt16BE(5, 0);
    b[2] = AhsType.BIDI_READ_LENGTH;
    b.writeUInt32BE(headers.bidiReadLength >>> 0, 4);
    parts.push(b);
  }
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
}

/** Header digest over BHS + AHS. */
export function headerDigest(header: Buffer): number {
  return crc32c(header);
}

/** Data digest over the data segment and its padding. */
export function dataDigest(data: Buffer): number {
  const crc = crc32c(data);
  return padLength(data.length) === 0 ? crc : crc32c(paddingFor(data.length), crc);
}

/** Data digest over a segment given as several pieces (the data-in path avoids joining them). */
export function dataDigestOf(pieces: readonly Buffer[], totalLength: number): number {
  let crc = crc32c(PADS[0]!);
  for (const p of pieces) crc = crc32c(p, crc);
  return padLength(totalLength) === 0 ? crc : crc32c(paddingFor(totalLength), crc);
}

/** iSCSI digests travel least-significant byte first (as every implementation lays out the CRC register). */
export function encodeDigest(value: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32LE(value >>> 0, 0);
  return b;
}

export function readDigest(buf: Buffer, offset: number): number {
  return buf.readUInt32LE(offset);
}

export { BHS_LENGTH };
