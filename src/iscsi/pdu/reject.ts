/** Reject PDU (RFC 7143 §11.17): its data segment is the offending PDU's header (BHS). */
import { BHS_LENGTH, expectOpcode, newBhs, readTargetSequence, writeDataSegmentLength, writeTargetSequence } from './bhs.js';
import { Opcode, RESERVED_TAG } from './opcodes.js';

export interface RejectPdu {
  reason: number;
  statSN: number;
  expCmdSN: number;
  maxCmdSN: number;
  /** DataSN/R2TSN, only meaningful for data-ack rejects (ERL > 0); 0 otherwise. */
  dataSN: number;
}

export function encodeReject(p: RejectPdu, dataLength = BHS_LENGTH): Buffer {
  const bhs = newBhs(Opcode.REJECT);
  bhs[2] = p.reason;
  writeDataSegmentLength(bhs, dataLength);
  bhs.writeUInt32BE(RESERVED_TAG, 16);
  writeTargetSequence(bhs, p);
  bhs.writeUInt32BE(p.dataSN >>> 0, 36);
  return bhs;
}

export function decodeReject(bhs: Buffer): RejectPdu {
  expectOpcode(bhs, Opcode.REJECT);
  return {
    reason: bhs[2]!,
    ...readTargetSequence(bhs),
    dataSN: bhs.readUInt32BE(36),
  };
}
