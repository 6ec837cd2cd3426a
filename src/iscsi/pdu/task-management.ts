/** Task Management Function Request (RFC 7143 §11.5) and Response (§11.6). */
import { expectOpcode, newBhs, readLunField, readTargetSequence, writeLunField, writeTargetSequence } from './bhs.js';
import { Opcode } from './opcodes.js';

export interface TaskMgmtRequestPdu {
  immediate: boolean;
  /** TmfFunction; unknown values are answered "function not supported", not rejected. */
  function: number;
  lun: bigint;
  itt: number;
  referencedTaskTag: number;
  cmdSN: number;
  expStatSN: number;
  refCmdSN: number;
  expDataSN: number;
}

export interface TaskMgmtResponsePdu {
  response: number;
  itt: number;
  statSN: number;
  expCmdSN: number;
  maxCmdSN: number;
}

export function decodeTaskMgmtRequest(bhs: Buffer): TaskMgmtRequestPdu {
  expectOpcode(bhs, Opcode.TASK_MGMT_REQUEST);
  return {
    immediate: (bhs[0]! & 0x40) !== 0,
    function: bhs[1]! & 0x7f,
    lun: readLunField(bhs),
    itt: bhs.readUInt32BE(16),
    referencedTaskTag: bhs.readUInt32BE(20),
    cmdSN: bhs.readUInt32BE(24),
    expStatSN: bhs.readUInt32BE(28),
    refCmdSN: bhs.readUInt32BE(32),
    expDataSN: bhs.readUInt32BE(36),
  };
}

export function encodeTaskMgmtRequest(p: TaskMgmtRequestPdu): Buffer {
  const bhs = newBhs(Opcode.TASK_MGMT_REQUEST, p.immediate);
  bhs[1] |= p.function & 0x7f;
  writeLunField(bhs, p.lun);
  bhs.writeUInt32BE(p.itt >>> 0, 16);
  bhs.writeUInt32BE(p.referencedTaskTag >>> 0, 20);
  bhs.writeUInt32BE(p.cmdSN >>> 0, 24);
  bhs.writeUInt32BE(p.expStatSN >>> 0, 28);
  bhs.writeUInt32BE(p.refCmdSN >>> 0, 32);
  bhs.writeUInt32BE(p.expDataSN >>> 0, 36);
  return bhs;
}

export function encodeTaskMgmtResponse(p: TaskMgmtResponsePdu): Buffer {
  const bhs = newBhs(Opcode.TASK_MGMT_RESPONSE);
  bhs[2] = p.response;
  bhs.writeUInt32BE(p.itt >>> 0, 16);
  writeTargetSequence(bhs, p);
  return bhs;
}

export function decodeTaskMgmtResponse(bhs: Buffer): TaskMgmtResponsePdu {
  expectOpcode(bhs, Opcode.TASK_MGMT_RESPONSE);
  return {
    response: bhs[2]!,
    itt: bhs.readUInt32BE(16),
    ...readTargetSequence(bhs),
  };
}
