/** NOP-Out (RFC 7143 §11.18) and NOP-In (§11.19). Ping data travels in the data segment. */
import { expectOpcode, newBhs, readLunField, readTargetSequence, writeDataSegmentLength, writeLunField, writeTargetSequence } from './bhs.js';
import { Opcode, RESERVED_TAG, RejectReason } from './opcodes.js';
import { PduError } from './pdu-error.js';

export interface NopOutPdu {
  immediate: boolean;
  lun: bigint;
  /** RESERVED_TAG when answering a target's NOP-In (no response wanted). */
  itt: number;
  /** The NOP-In's TTT being answered, or RESERVED_TAG. */
  ttt: number;
  cmdSN: number;
  expStatSN: number;
}

export interface NopInPdu {
  lun: bigint;
  itt: number;
  ttt: number;
  statSN: number;
  expCmdSN: number;
  maxCmdSN: number;
}

export function decodeNopOut(bhs: Buffer): NopOutPdu {
  expectOpcode(bhs, Opcode.NOP_OUT);
  const itt = bhs.readUInt32BE(16);
  const ttt = bhs.readUInt32BE(20);
  // A ping (ITT set) must not also claim to answer one of ours, and one of the two must be set.
  if (itt === RESERVED_TAG && ttt === RESERVED_TAG) throw new PduError(RejectReason.PROTOCOL_ERROR, 'NOP-Out with neither ITT nor TTT');
  return {
    immediate: (bhs[0]! & 0x40) !== 0,
    lun: readLunField(bhs),
    itt,
    ttt,
    cmdSN: bhs.readUInt32BE(24),
    expStatSN: bhs.readUInt32BE(28),
  };
}

export function encodeNopOut(p: NopOutPdu, dataLength: number): Buffer {
  const bhs = newBhs(Opcode.NOP_OUT, p.immediate);
  writeDataSegmentLength(bhs, dataLength);
  writeLunField(bhs, p.lun);
  bhs.writeUInt32BE(p.itt >>> 0, 16);
  bhs.writeUInt32BE(p.ttt >>> 0, 20);
  bhs.writeUInt32BE(p.cmdSN >>> 0, 24);
  bhs.writeUInt32BE(p.expStatSN >>> 0, 28);
  return bhs;
}

export function encodeNopIn(p: NopInPdu, dataLength: number): Buffer {
  const bhs = newBhs(Opcode.NOP_IN);
  writeDataSegmentLength(bhs, dataLength);
  writeLunField(bhs, p.lun);
  bhs.writeUInt32BE(p.itt >>> 0, 16);
  bhs.writeUInt32BE(p.ttt >>> 0, 20);
  writeTargetSequence(bhs, p);
  return bhs;
}

export function decodeNopIn(bhs: Buffer): NopInPdu {
  expectOpcode(bhs, Opcode.NOP_IN);
  return {
    lun: readLunField(bhs),
    itt: bhs.readUInt32BE(16),
    ttt: bhs.readUInt32BE(20),
    ...readTargetSequence(bhs),
  };
}
