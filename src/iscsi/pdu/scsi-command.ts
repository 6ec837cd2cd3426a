/** SCSI Command PDU (RFC 7143 §11.3), initiator → target. */
import { BHS_LENGTH, expectOpcode, newBhs, readAhsLength, readLunField, writeAhsLength, writeDataSegmentLength, writeLunField } from './bhs.js';
import { Opcode, RejectReason } from './opcodes.js';
import { PduError } from './pdu-error.js';
import { encodeAhs, parseAhs } from './segment.js';

export interface ScsiCommandPdu {
  immediate: boolean;
  /** F: no unsolicited Data-Out PDUs follow. */
  final: boolean;
  read: boolean;
  write: boolean;
  attribute: number;
  lun: bigint;
  itt: number;
  expectedLength: number;
  cmdSN: number;
  expStatSN: number;
  /** 16 bytes from the BHS, plus any extended-CDB AHS bytes. */
  cdb: Buffer;
  bidiReadLength?: number;
}

/** Decodes BHS + AHS. The CDB aliases the header unless an extended CDB forces a join. */
export function decodeScsiCommand(header: Buffer): ScsiCommandPdu {
  expectOpcode(header, Opcode.SCSI_COMMAND);
  const ahsLength = readAhsLength(header);
  if (header.length < BHS_LENGTH + ahsLength) throw new PduError(RejectReason.PROTOCOL_ERROR, 'AHS missing');
  const flags = header[1]!;
  const ahs = ahsLength > 0 ? parseAhs(header.subarray(BHS_LENGTH, BHS_LENGTH + ahsLength)) : {};
  const baseCdb = header.subarray(32, 48);
  const cdb = ahs.extendedCdb ? Buffer.concat([baseCdb, ahs.extendedCdb]) : baseCdb;
  return {
    immediate: (header[0]! & 0x40) !== 0,
    final: (flags & 0x80) !== 0,
    read: (flags & 0x40) !== 0,
    write: (flags & 0x20) !== 0,
    attribute: flags & 0x07,
    lun: readLunField(header),
    itt: header.readUInt32BE(16),
    expectedLength: header.readUInt32BE(20),
    cmdSN: header.readUInt32BE(24),
    expStatSN: header.readUInt32BE(28),
    cdb,
    ...(ahs.bidiReadLength !== undefined ? { bidiReadLength: ahs.bidiReadLength } : {}),
  };
}

/** Returns BHS + AHS (AHS only when the CDB is longer than 16 bytes or bidi is set). */
export function encodeScsiCommand(p: ScsiCommandPdu, dataLength: number): Buffer {
  if (p.cdb.length > 16 + 244) throw new RangeError('CDB too long');
  const bhs = newBhs(Opcode.SCSI_COMMAND, p.immediate, p.final);
  bhs[1] |= (p.read ? 0x40 : 0) | (p.write ? 0x20 : 0) | (p.attribute & 0x07);
  writeDataSegmentLength(bhs, dataLength);
  writeLunField(bhs, p.lun);
  bhs.writeUInt32BE(p.itt >>> 0, 16);
  bhs.writeUInt32BE(p.expectedLength >>> 0, 20);
  bhs.writeUInt32BE(p.cmdSN >>> 0, 24);
  bhs.writeUInt32BE(p.expStatSN >>> 0, 28);
  p.cdb.copy(bhs, 32, 0, Math.min(16, p.cdb.length));
  const extendedCdb = p.cdb.length > 16 ? p.cdb.subarray(16) : undefined;
  if (!extendedCdb && p.bidiReadLength === undefined) return bhs;
  const ahs = encodeAhs({ extendedCdb, bidiReadLength: p.bidiReadLength });
  writeAhsLength(bhs, ahs.length);
  return Buffer.concat([bhs, ahs]);
}
