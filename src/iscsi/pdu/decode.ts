/**
 * Dispatch on the opcode: turns a framed header (BHS + AHS) into a typed PDU, or throws
 * PduError with the Reject reason. One function per direction.
 */
import { BHS_LENGTH, readOpcode } from './bhs.js';
import { decodeAsyncMessage, type AsyncMessagePdu } from './async-message.js';
import { decodeDataIn, type DataInPdu } from './data-in.js';
import { decodeDataOut, type DataOutPdu } from './data-out.js';
import { decodeLoginRequest, decodeLoginResponse, type LoginRequestPdu, type LoginResponsePdu } from './login.js';
import { decodeLogoutRequest, decodeLogoutResponse, type LogoutRequestPdu, type LogoutResponsePdu } from './logout.js';
import { decodeNopIn, decodeNopOut, type NopInPdu, type NopOutPdu } from './nop.js';
import { Opcode, RejectReason } from './opcodes.js';
import { PduError } from './pdu-error.js';
import { decodeR2t, type R2tPdu } from './r2t.js';
import { decodeReject, type RejectPdu } from './reject.js';
import { decodeScsiCommand, type ScsiCommandPdu } from './scsi-command.js';
import { decodeScsiResponse, type ScsiResponsePdu } from './scsi-response.js';
import {
  decodeTaskMgmtRequest,
  decodeTaskMgmtResponse,
  type TaskMgmtRequestPdu,
  type TaskMgmtResponsePdu,
} from './task-management.js';
import { decodeTextRequest, decodeTextResponse, type TextRequestPdu, type TextResponsePdu } from './text.js';

export type InitiatorPdu =
  | { kind: 'nop-out'; pdu: NopOutPdu }
  | { kind: 'scsi-command'; pdu: ScsiCommandPdu }
  | { kind: 'task-mgmt'; pdu: TaskMgmtRequestPdu }
  | { kind: 'login'; pdu: LoginRequestPdu }
  | { kind: 'text'; pdu: TextRequestPdu }
  | { kind: 'data-out'; pdu: DataOutPdu }
  | { kind: 'logout'; pdu: LogoutRequestPdu };

export type TargetPdu =
  | { kind: 'nop-in'; pdu: NopInPdu }
  | { kind: 'scsi-response'; pdu: ScsiResponsePdu }
  | { kind: 'task-mgmt-response'; pdu: TaskMgmtResponsePdu }
  | { kind: 'login-response'; pdu: LoginResponsePdu }
  | { kind: 'text-response'; pdu: TextResponsePdu }
  | { kind: 'data-in'; pdu: DataInPdu }
  | { kind: 'logout-response'; pdu: LogoutResponsePdu }
  | { kind: 'r2t'; pdu: R2tPdu }
  | { kind: 'async'; pdu: AsyncMessagePdu }
  | { kind: 'reject'; pdu: RejectPdu };

function checkLength(header: Buffer): void {
  if (header.length < BHS_LENGTH) throw new PduError(RejectReason.PROTOCOL_ERROR, `header of ${header.length} bytes`);
}

export function decodeInitiatorPdu(header: Buffer): InitiatorPdu {
  checkLength(header);
  const opcode = readOpcode(header);
  switch (opcode) {
    case Opcode.NOP_OUT:
      return { kind: 'nop-out', pdu: decodeNopOut(header) };
    case Opcode.SCSI_COMMAND:
      return { kind: 'scsi-command', pdu: decodeScsiCommand(header) };
    case Opcode.TASK_MGMT_REQUEST:
      return { kind: 'task-mgmt', pdu: decodeTaskMgmtRequest(header) };
    case Opcode.LOGIN_REQUEST:
      return { kind: 'login', pdu: decodeLoginRequest(header) };
    case Opcode.TEXT_REQUEST:
      return { kind: 'text', pdu: decodeTextRequest(header) };
    case Opcode.DATA_OUT:
      return { kind: 'data-out', pdu: decodeDataOut(header) };
    case Opcode.LOGOUT_REQUEST:
      return { kind: 'logout', pdu: decodeLogoutRequest(header) };
    case Opcode.SNACK_REQUEST:
      // ErrorRecoveryLevel 0: no SNACK support.
      throw new PduError(RejectReason.COMMAND_NOT_SUPPORTED, 'SNACK not supported at ErrorRecoveryLevel 0');
    default:
      throw new PduError(RejectReason.COMMAND_NOT_SUPPORTED, `opcode 0x${opcode.toString(16)} not an initiator opcode`);
  }
}

export function decodeTargetPdu(header: Buffer): TargetPdu {
  checkLength(header);
  const opcode = readOpcode(header);
  switch (opcode) {
    case Opcode.NOP_IN:
      return { kind: 'nop-in', pdu: decodeNopIn(header) };
    case Opcode.SCSI_RESPONSE:
      return { kind: 'scsi-response', pdu: decodeScsiResponse(header) };
    case Opcode.TASK_MGMT_RESPONSE:
      return { kind: 'task-mgmt-response', pdu: decodeTaskMgmtResponse(header) };
    case Opcode.LOGIN_RESPONSE:
      return { kind: 'login-response', pdu: decodeLoginResponse(header) };
    case Opcode.TEXT_RESPONSE:
      return { kind: 'text-response', pdu: decodeTextResponse(header) };
    case Opcode.DATA_IN:
      return { kind: 'data-in', pdu: decodeDataIn(header) };
    case Opcode.LOGOUT_RESPONSE:
      return { kind: 'logout-response', pdu: decodeLogoutResponse(header) };
    case Opcode.R2T:
      return { kind: 'r2t', pdu: decodeR2t(header) };
    case Opcode.ASYNC_MESSAGE:
      return { kind: 'async', pdu: decodeAsyncMessage(header) };
    case Opcode.REJECT:
      return { kind: 'reject', pdu: decodeReject(header) };
    default:
      throw new PduError(RejectReason.PROTOCOL_ERROR, `opcode 0x${opcode.toString(16)} not a target opcode`);
  }
}
