/**
 * Text Request in full feature phase (RFC 7143 §11.10): SendTargets, anything else
 * NotUnderstood (answered by send-targets.ts). Requests split with the C bit are gathered
 * up to a bound; responses larger than the initiator's MaxRecvDataSegmentLength are sent
 * in pieces, each continued by an empty Text Request echoing our TTT.
 */
import { RESERVED_TAG, RejectReason } from '../iscsi/pdu/opcodes.js';
import { PduError } from '../iscsi/pdu/pdu-error.js';
import { encodeTextResponse, type TextRequestPdu } from '../iscsi/pdu/text.js';
import type { ResponseChannel } from './data-in.js';
import { answerTextRequest, type SendTargetsContext } from './send-targets.js';
import { TextKeyError } from '../iscsi/text-keys.js';

/** Largest text request we gather across C-bit PDUs. */
export const MAX_TEXT_REQUEST_BYTES = 64 * 1024;

export class TextExchange {
  private gathered: Buffer[] = [];
  private gatheredBytes = 0;
  private pendingReply?: { itt: number; ttt: number; rest: Buffer };

  constructor(
    private readonly ch: ResponseChannel,
    private readonly allocateTtt: () => number,
    private readonly context: () => SendTargetsContext,
  ) {}

  /** Throws PduError for malformed requests. */
  handle(pdu: TextRequestPdu, data: Buffer): void {
    if (pdu.ttt !== RESERVED_TAG) {
      const p = this.pendingReply;
      if (!p || p.ttt !== pdu.ttt || p.itt !== pdu.itt) throw new PduError(RejectReason.INVALID_PDU_FIELD, 'Text Request with unknown TTT');
      this.pendingReply = undefined;
      return this.sendPiece(pdu, p.rest);
    }
    this.pendingReply = undefined;
    this.gatheredBytes += data.length;
    if (this.gatheredBytes > MAX_TEXT_REQUEST_BYTES) {
      this.gathered = [];
      this.gatheredBytes = 0;
      throw new PduError(RejectReason.OUT_OF_RESOURCES, 'text request too long');
    }
    this.gathered.push(data);
    if (pdu.continue) {
      // More of the request follows: acknowledge with an empty response.
      this.respond(pdu, false, false, RESERVED_TAG, Buffer.alloc(0));
      return;
    }
    const request = this.gathered.length === 1 ? this.gathered[0]! : Buffer.concat(this.gathered);
    this.gathered = [];
    this.gatheredBytes = 0;
    let reply: Buffer;
    try {
      reply = answerTextRequest(request, this.context());
    } catch (e) {
      if (e instanceof TextKeyError) throw new PduError(RejectReason.INVALID_PDU_FIELD, e.message);
      throw e;
    }
    this.sendPiece(pdu, reply);
  }

  private sendPiece(pdu: TextRequestPdu, reply: Buffer): void {
    const max = this.ch.maxSendDataSegmentLength;
    if (reply.length <= max) return this.respond(pdu, true, false, RESERVED_TAG, reply);
    const ttt = this.allocateTtt();
    this.pendingReply = { itt: pdu.itt, ttt, rest: reply.subarray(max) };
    this.respond(pdu, false, true, ttt, reply.subarray(0, max));
  }

  private respond(pdu: TextRequestPdu, final: boolean, cont: boolean, ttt: number, data: Buffer): void {
    const header = encodeTextResponse(
      {
        final,
        continue: cont,
        lun: pdu.lun,
        itt: pdu.itt,
        ttt,
        statSN: this.ch.takeStatSN(),
        expCmdSN: this.ch.expCmdSN(),
        maxCmdSN: this.ch.maxCmdSN(),
      },
      data.length,
    );
    this.ch.out.send(header, data);
  }
}
