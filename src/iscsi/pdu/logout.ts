/** Logout Request (RFC 7143 §11.14) and Logout Response (§11.15). */
import { expectOpcode, newBhs, readTargetSequence, writeTargetSequence } from './bhs.js';
import { LogoutReason, Opcode, RejectReason } from './opcodes.js';
import { PduError } from './pdu-error.js';

export interface LogoutRequestPdu {
  immediate: boolean;
  reasonCode: number;
  itt: number;
  cid: number;
  cmdSN: number;
  expStatSN: number;
}

export interface LogoutResponsePdu {
  response: number;
  itt: number;
  statSN: number;
  expCmdSN: number;
  maxCmdSN: number;
  time2Wait: number;
  time2Retain: number;
}

export function decodeLogoutRequest(bhs: Buffer): LogoutRequestPdu {
  expectOpcode(bhs, Opcode.LOGOUT_REQUEST);
  const reasonCode = bhs[1]! & 0x7f;
  if (reasonCode > LogoutReason.REMOVE_CONNECTION_FOR_RECOVERY) {
    throw new PduError(RejectReason.INVALID_PDU_FIELD, `logout reason ${reasonCode}`);
  }
  return {
    immediate: (bhs[0]! & 0x40) !== 0,
    reasonCode,
    itt: bhs.readUInt32BE(16),
    cid: bhs.readUInt16BE(20),
    cmdSN: bhs.readUInt32BE(24),
    expStatSN: bhs.readUInt32BE(28),
  };
}

export function encodeLogoutRequest(p: LogoutRequestPdu): Buffer {
  const bhs = newBhs(Opcode.LOGOUT_REQUEST, p.immediate);
  bhs[1] |= p.reasonCode & 0x7f;
  bhs.writeUInt32BE(p.itt >>> 0, 16);
  bhs.writeUInt16BE(p.cid & 0xffff, 20);
  bhs.writeUInt32BE(p.cmdSN >>> 0, 24);
  bhs.writeUInt32BE(p.expStatSN >>> 0, 28);
  return bhs;
}

export function encodeLogoutResponse(p: LogoutResponsePdu): Buffer {
  const bhs = newBhs(Opcode.LOGOUT_RESPONSE);
  bhs[2] = p.response;
  bhs.writeUInt32BE(p.itt >>> 0, 16);
  writeTargetSequence(bhs, p);
  bhs.writeUInt16BE(p.time2Wait & 0xffff, 40);
  bhs.writeUInt16BE(p.time2Retain & 0xffff, 42);
  return bhs;
}

export function decodeLogoutResponse(bhs: Buffer): LogoutResponsePdu {
  expectOpcode(bhs, Opcode.LOGOUT_RESPONSE);
  return {
    response: bhs[2]!,
    itt: bhs.readUInt32BE(16),
    ...readTargetSequence(bhs),
    time2Wait: bhs.readUInt16BE(40),
    time2Retain: bhs.readUInt16BE(42),
  };
}
