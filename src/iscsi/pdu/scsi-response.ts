/** SCSI Response PDU (RFC 7143 §11.4), target → initiator. */
import { expectOpcode, newBhs, readTargetSequence, writeDataSegmentLength, writeTargetSequence } from './bhs.js';
import { Opcode, RejectReason } from './opcodes.js';
import { PduError } from './pdu-error.js';

export interface ScsiResponsePdu {
  bidiOverflow: boolean;
  bidiUnderflow: boolean;
  residualOverflow: boolean;
  residualUnderflow: boolean;
  response: number;
  status: number;
  itt: number;
  snackTag: number;
  statSN: number;
  expCmdSN: number;
  maxCmdSN: number;
  expDataSN: number;
  bidiReadResidual: number;
  residual: number;
}

export function encodeScsiResponse(p: ScsiResponsePdu, dataLength: number): Buffer {
  const bhs = newBhs(Opcode.SCSI_RESPONSE);
  bhs[1] |=
    (p.bidiOverflow ? 0x10 : 0) | (p.bidiUnderflow ? 0x08 : 0) | (p.residualOverflow ? 0x04 : 0) | (p.residualUnderflow ? 0x02 : 0);
  bhs[2] = p.response;
  bhs[3] = p.status;
  writeDataSegmentLength(bhs, dataLength);
  bhs.writeUInt32BE(p.itt >>> 0, 16);
  bhs.writeUInt32BE(p.snackTag >>> 0, 20);
  writeTargetSequence(bhs, p);
  bhs.writeUInt32BE(p.expDataSN >>> 0, 36);
  bhs.writeUInt32BE(p.bidiReadResidual >>> 0, 40);
  bhs.writeUInt32BE(p.residual >>> 0, 44);
  return bhs;
}

export function decodeScsiResponse(bhs: Buffer): ScsiResponsePdu {
  expectOpcode(bhs, Opcode.SCSI_RESPONSE);
  const f = bhs[1]!;
  if ((f & 0x06) === 0x06 || (f & 0x18) === 0x18) throw new PduError(RejectReason.INVALID_PDU_FIELD, 'both overflow and underflow');
  return {
    bidiOverflow: (f & 0x10) !== 0,
    bidiUnderflow: (f & 0x08) !== 0,
    residualOverflow: (f & 0x04) !== 0,
    residualUnderflow: (f & 0x02) !== 0,
    response: bhs[2]!,
    status: bhs[3]!,
    itt: bhs.readUInt32BE(16),
    snackTag: bhs.readUInt32BE(20),
    ...readTargetSequence(bhs),
    expDataSN: bhs.readUInt32BE(36),
    bidiReadResidual: bhs.readUInt32BE(40),
    residual: bhs.readUInt32BE(44),
  };
}

/** Sense data travels in the data segment behind a 2-byte SenseLength (RFC 7143 §11.4.7.2). */
export function encodeSenseSegment(sense: Buffer): Buffer {
  const seg = Buffer.allocUnsafe(2 + sense.length);
  seg.writeUInt16BE(sense.length, 0);
  sense.copy(seg, 2);
  return seg;
}

export function decodeSenseSegment(data: Buffer): Buffer {
  if (data.length === 0) return data;
  if (data.length < 2) throw new PduError(RejectReason.INVALID_PDU_FIELD, 'truncated SenseLength');
  const length = data.readUInt16BE(0);
  if (2 + length > data.length) throw new PduError(RejectReason.INVALID_PDU_FIELD, 'SenseLength overruns segment');
  return data.subarray(2, 2 + length);
}
