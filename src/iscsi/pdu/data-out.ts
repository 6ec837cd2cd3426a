/** SCSI Data-Out PDU (RFC 7143 §11.7), initiator → target. */
import { expectOpcode, newBhs, readLunField, writeDataSegmentLength, writeLunField } from './bhs.js';
import { Opcode } from './opcodes.js';

export interface DataOutPdu {
  final: boolean;
  lun: bigint;
  itt: number;
  ttt: number;
  expStatSN: number;
  dataSN: number;
  bufferOffset: number;
}

export function decodeDataOut(bhs: Buffer): DataOutPdu {
  expectOpcode(bhs, Opcode.DATA_OUT);
  return {
    final: (bhs[1]! & 0x80) !== 0,
    lun: readLunField(bhs),
    itt: bhs.readUInt32BE(16),
    ttt: bhs.readUInt32BE(20),
    expStatSN: bhs.readUInt32BE(28),
    dataSN: bhs.readUInt32BE(36),
    bufferOffset: bhs.readUInt32BE(40),
  };
}

export function encodeDataOut(p: DataOutPdu, dataLength: number): Buffer {
  const bhs = newBhs(Opcode.DATA_OUT, false, p.final);
  writeDataSegmentLength(bhs, dataLength);
  writeLunField(bhs, p.lun);
  bhs.writeUInt32BE(p.itt >>> 0, 16);
  bhs.writeUInt32BE(p.ttt >>> 0, 20);
  bhs.writeUInt32BE(p.expStatSN >>> 0, 28);
  bhs.writeUInt32BE(p.dataSN >>> 0, 36);
  bhs.writeUInt32BE(p.bufferOffset >>> 0, 40);
  return bhs;
}
