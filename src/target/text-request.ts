/**
 * Text Request in full feature phase (RFC 7143 §11.10): SendTargets, anything else
 * NotUnderstood (answered by send-targets.ts). Requests split with the C bit are gathered
 * up to a bound, each part answered by an empty response whose TTT the next part echoes;
 * responses larger than the initiator's MaxRecvDataSegmentLength are sent in pieces, each
 * continued by an empty Text Request echoing our TTT.
 */
import { RESERVED_TAG, RejectReason } from '../iscsi/pdu/opcodes.js';
import { PduError } from '../iscsi/pdu/pdu-error.js';
import { encodeTextResponse, type TextRequestPdu } from '../iscsi/pdu/text.js';
import type { ResponseChannel } from './data-in.js';
import { answerTextRequest, type SendTargetsContext } from './send-targets.js';
import { TextKeyError } from '../iscsi/text-keys.js';

/** Largest text request we gather across C-bit PDUs. */
export const MAX_TEXT_REQUEST_BYTES = 64 * 1024;

/** An exchange our TTT continues: `rest` is our reply still to send; without it, the request is still arriving. */
interface PendingExchange {
  itt: number;
  ttt: number;
  rest?: Buffer;
}

export class TextExchange {
  private gathered: Buffer[] = [];
  private gatheredBytes = 0;
  private pending?: PendingExchange;

  constructor(
    private readonly ch: ResponseChannel,
    private readonly allocateTtt: () => number,
    private readonly context: () => SendTargetsContext,
  ) {}

  /** Throws PduError for malformed requests. */
  handle(pdu: TextRequestPdu, data: Buffer): void {
    if (pdu.ttt === RESERVED_TAG) {
      // A new request: whatever was in progress is dropped (RFC 7143 §11.10.4).
      this.forget();
    } else {
      const p = this.pending;
      if (!p || p.ttt !== pdu.ttt || p.itt !== pdu.itt) throw new PduError(RejectReason.INVALID_PDU_FIELD, 'Text Request with unknown TTT');
      this.pending = undefined;
      if (p.rest) return this.sendPiece(pdu, p.rest);
    }
    this.gatheredBytes += data.length;
    if (this.gatheredBytes > MAX_TEXT_REQUEST_BYTES) {
      this.forget();
      throw new PduError(RejectReason.OUT_OF_RESOURCES, 'text request too long');
    }
    this.gathered.push(data);
    if (pdu.continue) {
      // More of the request follows: an empty response, F=0, whose TTT (never the reserved
      // one with F=0, §11.11.1) the next part carries.
      return this.respondPending(pdu, { itt: pdu.itt, ttt: this.allocateTtt() }, EMPTY);
    }
    const request = this.gathered.length === 1 ? this.gathered[0]! : Buffer.concat(this.gathered);
    this.forget();
    let reply: Buffer;
    try {
      reply = answerTextRequest(request, this.context());
    } catch (e) {
      if (e instanceof TextKeyError) throw new PduError(RejectReason.INVALID_PDU_FIELD, e.message);
      throw e;
    }
    this.sendPiece(pdu, reply);
  }

  private forget(): void {
    this.pending = undefined;
    this.gathered = [];
    this.gatheredBytes = 0;
  }

  private sendPiece(pdu: TextRequestPdu, reply: Buffer): void {
    const max = this.ch.maxSendDataSegmentLength;
    if (reply.length <= max) return this.respond(pdu, true, false, RESERVED_TAG, reply);
    this.respondPending(pdu, { itt: pdu.itt, ttt: this.allocateTtt(), rest: reply.subarray(max) }, reply.subarray(0, max));
  }

  /** A response with F=0: the exchange goes on with the next request carrying `pending.ttt`. */
  private respondPending(pdu: TextRequestPdu, pending: PendingExchange, data: Buffer): void {
    this.pending = pending;
    this.respond(pdu, false, pending.rest !== undefined, pending.ttt, data);
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

const EMPTY = Buffer.alloc(0);
