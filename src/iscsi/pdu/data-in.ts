/** SCSI Data-In PDU (RFC 7143 §11.7), target → initiator. */
import { expectOpcode, newBhs, readLunField, readTargetSequence, writeDataSegmentLength, writeLunField, writeTargetSequence } from './bhs.js';
import { Opcode, RejectReason } from './opcodes.js';
import { PduError } from './pdu-error.js';

export interface DataInPdu {
  final: boolean;
  acknowledge: boolean;
  residualOverflow: boolean;
  residualUnderflow: boolean;
  /** S: this PDU carries the command's status. */
  statusPresent: boolean;
  status: number;
  lun: bigint;
  itt: number;
  ttt: number;
  statSN: number;
  expCmdSN: number;
  maxCmdSN: number;
  dataSN: number;
  bufferOffset: number;
  residual: number;
}

export function encodeDataIn(p: DataInPdu, dataLength: number): Buffer {
  const bhs = newBhs(Opcode.DATA_IN, false, p.final);
  bhs[1] |=
    (p.acknowledge ? 0x40 : 0) | (p.residualOverflow ? 0x04 : 0) | (p.residualUnderflow ? 0x02 : 0) | (p.statusPresent ? 0x01 : 0);
  bhs[3] = p.status;
  writeDataSegmentLength(bhs, dataLength);
  writeLunField(bhs, p.lun);
  bhs.writeUInt32BE(p.itt >>> 0, 16);
  bhs.writeUInt32BE(p.ttt >>> 0, 20);
  writeTargetSequence(bhs, p);
  bhs.writeUInt32BE(p.dataSN >>> 0, 36);
  bhs.writeUInt32BE(p.bufferOffset >>> 0, 40);
  bhs.writeUInt32BE(p.residual >>> 0, 44);
  return bhs;
}

export function decodeDataIn(bhs: Buffer): DataInPdu {
  expectOpcode(bhs, Opcode.DATA_IN);
  const f = bhs[1]!;
  const final = (f & 0x80) !== 0;
  const statusPresent = (f & 0x01) !== 0;
  if (statusPresent && !final) throw new PduError(RejectReason.INVALID_PDU_FIELD, 'S bit without F bit');
  if ((f & 0x06) === 0x06) throw new PduError(RejectReason.INVALID_PDU_FIELD, 'both overflow and underflow');
  return {
    final,
    acknowledge: (f & 0x40) !== 0,
    residualOverflow: (f & 0x04) !== 0,
    residualUnderflow: (f & 0x02) !== 0,
    statusPresent,
    status: bhs[3]!,
    lun: readLunField(bhs),
    itt: bhs.readUInt32BE(16),
    ttt: bhs.readUInt32BE(20),
    ...readTargetSequence(bhs),
    dataSN: bhs.readUInt32BE(36),
    bufferOffset: bhs.readUInt32BE(40),
    residual: bhs.readUInt32BE(44),
  };
}
