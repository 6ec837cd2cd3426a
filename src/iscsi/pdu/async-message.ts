/** Asynchronous Message PDU (RFC 7143 §11.9), target → initiator. */
import { expectOpcode, newBhs, readLunField, readTargetSequence, writeDataSegmentLength, writeLunField, writeTargetSequence } from './bhs.js';
import { Opcode, RESERVED_TAG } from './opcodes.js';

export interface AsyncMessagePdu {
  lun: bigint;
  statSN: number;
  expCmdSN: number;
  maxCmdSN: number;
  asyncEvent: number;
  asyncVCode: number;
  parameter1: number;
  parameter2: number;
  parameter3: number;
}

export function encodeAsyncMessage(p: AsyncMessagePdu, dataLength: number): Buffer {
  const bhs = newBhs(Opcode.ASYNC_MESSAGE);
  writeDataSegmentLength(bhs, dataLength);
  writeLunField(bhs, p.lun);
  bhs.writeUInt32BE(RESERVED_TAG, 16);
  writeTargetSequence(bhs, p);
  bhs[36] = p.asyncEvent;
  bhs[37] = p.asyncVCode;
  bhs.writeUInt16BE(p.parameter1 & 0xffff, 38);
  bhs.writeUInt16BE(p.parameter2 & 0xffff, 40);
  bhs.writeUInt16BE(p.parameter3 & 0xffff, 42);
  return bhs;
}

export function decodeAsyncMessage(bhs: Buffer): AsyncMessagePdu {
  expectOpcode(bhs, Opcode.ASYNC_MESSAGE);
  return {
    lun: readLunField(bhs),
    ...readTargetSequence(bhs),
    asyncEvent: bhs[36]!,
    asyncVCode: bhs[37]!,
    parameter1: bhs.readUInt16BE(38),
    parameter2: bhs.readUInt16BE(40),
    parameter3: bhs.readUInt16BE(42),
  };
}
