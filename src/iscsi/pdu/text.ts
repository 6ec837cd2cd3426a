/** Text Request (RFC 7143 §11.10) and Text Response (§11.11). */
import { expectOpcode, newBhs, readLunField, readTargetSequence, writeDataSegmentLength, writeLunField, writeTargetSequence } from './bhs.js';
import { Opcode, RejectReason } from './opcodes.js';
import { PduError } from './pdu-error.js';

export interface TextRequestPdu {
  immediate: boolean;
  final: boolean;
  continue: boolean;
  lun: bigint;
  itt: number;
  ttt: number;
  cmdSN: number;
  expStatSN: number;
}

export interface TextResponsePdu {
  final: boolean;
  continue: boolean;
  lun: bigint;
  itt: number;
  ttt: number;
  statSN: number;
  expCmdSN: number;
  maxCmdSN: number;
}

function flags(final: boolean, cont: boolean): number {
  return (final ? 0x80 : 0) | (cont ? 0x40 : 0);
}

function checkFlags(f: number): void {
  if ((f & 0xc0) === 0xc0) throw new PduError(RejectReason.PROTOCOL_ERROR, 'Text PDU with both F and C');
}

export function decodeTextRequest(bhs: Buffer): TextRequestPdu {
  expectOpcode(bhs, Opcode.TEXT_REQUEST);
  checkFlags(bhs[1]!);
  return {
    immediate: (bhs[0]! & 0x40) !== 0,
    final: (bhs[1]! & 0x80) !== 0,
    continue: (bhs[1]! & 0x40) !== 0,
    lun: readLunField(bhs),
    itt: bhs.readUInt32BE(16),
    ttt: bhs.readUInt32BE(20),
    cmdSN: bhs.readUInt32BE(24),
    expStatSN: bhs.readUInt32BE(28),
  };
}

export function encodeTextRequest(p: TextRequestPdu, dataLength: number): Buffer {
  const bhs = newBhs(Opcode.TEXT_REQUEST, p.immediate, false);
  bhs[1] = flags(p.final, p.continue);
  writeDataSegmentLength(bhs, dataLength);
  writeLunField(bhs, p.lun);
  bhs.writeUInt32BE(p.itt >>> 0, 16);
  bhs.writeUInt32BE(p.ttt >>> 0, 20);
  bhs.writeUInt32BE(p.cmdSN >>> 0, 24);
  bhs.writeUInt32BE(p.expStatSN >>> 0, 28);
  return bhs;
}

export function encodeTextResponse(p: TextResponsePdu, dataLength: number): Buffer {
  const bhs = newBhs(Opcode.TEXT_RESPONSE, false, false);
  bhs[1] = flags(p.final, p.continue);
  writeDataSegmentLength(bhs, dataLength);
  writeLunField(bhs, p.lun);
  bhs.writeUInt32BE(p.itt >>> 0, 16);
  bhs.writeUInt32BE(p.ttt >>> 0, 20);
  writeTargetSequence(bhs, p);
  return bhs;
}

export function decodeTextResponse(bhs: Buffer): TextResponsePdu {
  expectOpcode(bhs, Opcode.TEXT_RESPONSE);
  checkFlags(bhs[1]!);
  return {
    final: (bhs[1]! & 0x80) !== 0,
    continue: (bhs[1]! & 0x40) !== 0,
    lun: readLunField(bhs),
    itt: bhs.readUInt32BE(16),
    ttt: bhs.readUInt32BE(20),
    ...readTargetSequence(bhs),
  };
}
