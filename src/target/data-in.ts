/**
 * Sending a command's outcome (RFC 7143 §11.7, §11.4): Data-In PDUs of at most
 * MaxSendDataSegmentLength, F on the last PDU of every MaxBurstLength sequence, DataSN
 * rising across the command; status folded into the last Data-In (S bit) when GOOD
 * without sense, otherwise a separate SCSI Response carrying the sense data.
 */
import { encodeDataIn } from '../iscsi/pdu/data-in.js';
import { RESERVED_TAG, ScsiResponseCode } from '../iscsi/pdu/opcodes.js';
import { encodeScsiResponse, encodeSenseSegment } from '../iscsi/pdu/scsi-response.js';
import { ScsiStatus } from '../scsi/types.js';
import type { PduWriter } from './pdu-writer.js';

export interface Residual {
  overflow: boolean;
  underflow: boolean;
  count: number;
}

export const NO_RESIDUAL: Residual = { overflow: false, underflow: false, count: 0 };

/** Residual of `actual` bytes against the initiator's expected length. */
export function residualOf(expected: number, actual: number): Residual {
  if (actual > expected) return { overflow: true, underflow: false, count: actual - expected };
  if (actual < expected) return { overflow: false, underflow: true, count: expected - actual };
  return NO_RESIDUAL;
}

export interface ResponseChannel {
  readonly out: PduWriter;
  readonly maxSendDataSegmentLength: number;
  readonly maxBurstLength: number;
  /** Returns the StatSN to use and advances it. */
  takeStatSN(): number;
  peekStatSN(): number;
  expCmdSN(): number;
  maxCmdSN(): number;
}

export interface CommandOutcome {
  itt: number;
  lunField: bigint;
  status: number;
  sense?: Buffer;
  /** Already truncated to what may be sent. */
  dataIn?: Buffer;
  /** Called once the socket no longer needs dataIn's memory (at once if nothing is sent). */
  dataInSent?: () => void;
  residual: Residual;
  /** A bidirectional command's read residual (the SCSI Response's o/u bits and its Bidirectional Read Residual Count). */
  bidiResidual?: Residual;
  /** R2Ts sent for the command (counted in ExpDataSN). */
  r2tsSent: number;
}

export function sendCommandOutcome(ch: ResponseChannel, o: CommandOutcome): void {
  const data = o.dataIn;
  if (!data?.length) o.dataInSent?.();
  const foldStatus = o.status === ScsiStatus.GOOD && !o.sense && data !== undefined && data.length > 0;
  let dataSN = 0;
  ch.out.cork();
  try {
    if (data && data.length > 0) {
      const segment = Math.max(512, ch.maxSendDataSegmentLength);
      const burst = Math.max(segment, ch.maxBurstLength);
      let offset = 0;
      while (offset < data.length) {
        const burstEnd = Math.min(data.length, offset + burst);
        while (offset < burstEnd) {
          const end = Math.min(burstEnd, offset + segment);
          const last = end === data.length;
          const withStatus = last && foldStatus;
          const header = encodeDataIn(
            {
              final: end === burstEnd,
              acknowledge: false,
              residualOverflow: withStatus && o.residual.overflow,
              residualUnderflow: withStatus && o.residual.underflow,
              statusPresent: withStatus,
              status: withStatus ? o.status : 0,
              lun: o.lunField,
              itt: o.itt,
              ttt: RESERVED_TAG,
              statSN: withStatus ? ch.takeStatSN() : 0,
              expCmdSN: ch.expCmdSN(),
              maxCmdSN: ch.maxCmdSN(),
              dataSN: dataSN++,
              bufferOffset: offset,
              residual: withStatus ? o.residual.count : 0,
            },
            end - offset,
          );
          // The socket reads the bytes until its write completes: the last piece's callback lets them go.
          const done = last ? o.dataInSent : undefined;
          ch.out.send(header, offset === 0 && last ? data : data.subarray(offset, end), done);
          offset = end;
        }
      }
    }
    if (foldStatus) return;
    const senseSegment = o.sense && o.sense.length > 0 ? encodeSenseSegment(o.sense) : undefined;
    const header = encodeScsiResponse(
      {
        bidiOverflow: o.bidiResidual?.overflow ?? false,
        bidiUnderflow: o.bidiResidual?.underflow ?? false,
        residualOverflow: o.residual.overflow,
        residualUnderflow: o.residual.underflow,
        response: ScsiResponseCode.COMMAND_COMPLETED,
        status: o.status,
        itt: o.itt,
        snackTag: 0,
        statSN: ch.takeStatSN(),
        expCmdSN: ch.expCmdSN(),
        maxCmdSN: ch.maxCmdSN(),
        expDataSN: dataSN + o.r2tsSent,
        bidiReadResidual: o.bidiResidual?.count ?? 0,
        residual: o.residual.count,
      },
      senseSegment?.length ?? 0,
    );
    ch.out.send(header, senseSegment);
  } finally {
    ch.out.uncork();
  }
}
