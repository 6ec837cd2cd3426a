/** Ready To Transfer PDU (RFC 7143 §11.8), target → initiator. */
import { expectOpcode, newBhs, readLunField, readTargetSequence, writeLunField, writeTargetSequence } from './bhs.js';
import { Opcode, RejectReason } from './opcodes.js';
import { PduError } from './pdu-error.js';

export interface R2tPdu {
  lun: bigint;
  itt: number;
  ttt: number;
  statSN: number;
  expCmdSN: number;
  maxCmdSN: number;
  r2tSN: number;
  bufferOffset: number;
  desiredLength: number;
}

export function encodeR2t(p: R2tPdu): Buffer {
  const bhs = newBhs(Opcode.R2T);
  writeLunField(bhs, p.lun);
  bhs.writeUInt32BE(p.itt >>> 0, 16);
  bhs.writeUInt32BE(p.ttt >>> 0, 20);
  writeTargetSequence(bhs, p);
  bhs.writeUInt32BE(p.r2tSN >>> 0, 36);
  bhs.writeUInt32BE(p.bufferOffset >>> 0, 40);
  bhs.writeUInt32BE(p.desiredLength >>> 0, 44);
  return bhs;
}

export function decodeR2t(bhs: Buffer): R2tPdu {
  expectOpcode(bhs, Opcode.R2T);
  const desiredLength = bhs.readUInt32BE(44);
  if (desiredLength === 0) throw new PduError(RejectReason.INVALID_PDU_FIELD, 'R2T for 0 bytes');
  return {
    lun: readLunField(bhs),
    itt: bhs.readUInt32BE(16),
    ttt: bhs.readUInt32BE(20),
    ...readTargetSequence(bhs),
    r2tSN: bhs.readUInt32BE(36),
    bufferOffset: bhs.readUInt32BE(40),
    desiredLength,
  };
}
