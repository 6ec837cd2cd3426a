/**
 * Logout (RFC 7143 §11.14-15). At ErrorRecoveryLevel 0 with one connection per session,
 * closing the connection or the session both end the session; connection recovery is
 * not supported. Time2Retain is 0: nothing is kept for reinstatement.
 */
import { LogoutReason, LogoutResponse } from '../iscsi/pdu/opcodes.js';
import { encodeLogoutResponse, type LogoutRequestPdu } from '../iscsi/pdu/logout.js';
import type { ResponseChannel } from './data-in.js';

export interface LogoutDecision {
  response: number;
  /** Whether the session ends after the response. */
  endsSession: boolean;
}

export function decideLogout(pdu: LogoutRequestPdu, cid: number): LogoutDecision {
  switch (pdu.reasonCode) {
    case LogoutReason.CLOSE_SESSION:
      return { response: LogoutResponse.SUCCESS, endsSession: true };
    case LogoutReason.CLOSE_CONNECTION:
      return pdu.cid === cid
        ? { response: LogoutResponse.SUCCESS, endsSession: true }
        : { response: LogoutResponse.CID_NOT_FOUND, endsSession: false };
    default:
      return { response: LogoutResponse.RECOVERY_NOT_SUPPORTED, endsSession: false };
  }
}

export function sendLogoutResponse(ch: ResponseChannel, pdu: LogoutRequestPdu, response: number, time2Wait: number): void {
  ch.out.send(
    encodeLogoutResponse({
      response,
      itt: pdu.itt,
      statSN: ch.takeStatSN(),
      expCmdSN: ch.expCmdSN(),
      maxCmdSN: ch.maxCmdSN(),
      time2Wait,
      time2Retain: 0,
    }),
  );
}
