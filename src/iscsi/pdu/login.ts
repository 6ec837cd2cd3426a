/** Login Request (RFC 7143 §11.12) and Login Response (§11.13). */
import { expectOpcode, newBhs, readTargetSequence, writeDataSegmentLength, writeTargetSequence } from './bhs.js';
import { Opcode } from './opcodes.js';

export interface LoginRequestPdu {
  transit: boolean;
  continue: boolean;
  csg: number;
  nsg: number;
  versionMax: number;
  versionMin: number;
  /** 6 bytes. */
  isid: Buffer;
  tsih: number;
  itt: number;
  cid: number;
  cmdSN: number;
  expStatSN: number;
}

export interface LoginResponsePdu {
  transit: boolean;
  continue: boolean;
  csg: number;
  nsg: number;
  versionMax: number;
  versionActive: number;
  isid: Buffer;
  tsih: number;
  itt: number;
  statSN: number;
  expCmdSN: number;
  maxCmdSN: number;
  statusClass: number;
  statusDetail: number;
}

/** The fields Login Request and Response share: stage flags, VersionMax, ISID, TSIH, ITT. */
function readLoginCommon(bhs: Buffer) {
  const f = bhs[1]!;
  return {
    transit: (f & 0x80) !== 0,
    continue: (f & 0x40) !== 0,
    csg: (f >> 2) & 3,
    nsg: f & 3,
    versionMax: bhs[2]!,
    isid: Buffer.from(bhs.subarray(8, 14)),
    tsih: bhs.readUInt16BE(14),
    itt: bhs.readUInt32BE(16),
  };
}

function stageByte(transit: boolean, cont: boolean, csg: number, nsg: number): number {
  return (transit ? 0x80 : 0) | (cont ? 0x40 : 0) | ((csg & 3) << 2) | (nsg & 3);
}

/** Stage/flag validity is the negotiator's business (it answers with a login status, not a Reject). */
export function decodeLoginRequest(bhs: Buffer): LoginRequestPdu {
  expectOpcode(bhs, Opcode.LOGIN_REQUEST);
  return {
    ...readLoginCommon(bhs),
    versionMin: bhs[3]!,
    cid: bhs.readUInt16BE(20),
    cmdSN: bhs.readUInt32BE(24),
    expStatSN: bhs.readUInt32BE(28),
  };
}

export function encodeLoginRequest(p: LoginRequestPdu, dataLength: number): Buffer {
  const bhs = newBhs(Opcode.LOGIN_REQUEST, true, false);
  bhs[1] = stageByte(p.transit, p.continue, p.csg, p.nsg);
  bhs[2] = p.versionMax;
  bhs[3] = p.versionMin;
  writeDataSegmentLength(bhs, dataLength);
  p.isid.copy(bhs, 8, 0, 6);
  bhs.writeUInt16BE(p.tsih & 0xffff, 14);
  bhs.writeUInt32BE(p.itt >>> 0, 16);
  bhs.writeUInt16BE(p.cid & 0xffff, 20);
  bhs.writeUInt32BE(p.cmdSN >>> 0, 24);
  bhs.writeUInt32BE(p.expStatSN >>> 0, 28);
  return bhs;
}

export function encodeLoginResponse(p: LoginResponsePdu, dataLength: number): Buffer {
  const bhs = newBhs(Opcode.LOGIN_RESPONSE, false, false);
  bhs[1] = stageByte(p.transit, p.continue, p.csg, p.nsg);
  bhs[2] = p.versionMax;
  bhs[3] = p.versionActive;
  writeDataSegmentLength(bhs, dataLength);
  p.isid.copy(bhs, 8, 0, 6);
  bhs.writeUInt16BE(p.tsih & 0xffff, 14);
  bhs.writeUInt32BE(p.itt >>> 0, 16);
  writeTargetSequence(bhs, p);
  bhs[36] = p.statusClass;
  bhs[37] = p.statusDetail;
  return bhs;
}

export function decodeLoginResponse(bhs: Buffer): LoginResponsePdu {
  expectOpcode(bhs, Opcode.LOGIN_RESPONSE);
  return {
    ...readLoginCommon(bhs),
    versionActive: bhs[3]!,
    ...readTargetSequence(bhs),
    statusClass: bhs[36]!,
    statusDetail: bhs[37]!,
  };
}
