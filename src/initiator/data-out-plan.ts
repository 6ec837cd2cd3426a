/**
 * How a write's data is cut into PDUs (RFC 7143 §3.2.4.2): immediate data in the
 * command PDU, then unsolicited Data-Out up to FirstBurstLength, then one sequence per
 * R2T; every PDU at most the target's MaxRecvDataSegmentLength.
 */

export interface UnsolicitedPlan {
  /** Bytes carried in the SCSI Command PDU itself. */
  immediateLength: number;
  /** End offset of unsolicited data (immediate + unsolicited Data-Out). */
  unsolicitedEnd: number;
}

export interface WriteParams {
  immediateData: boolean;
  initialR2T: boolean;
  firstBurstLength: number;
  maxSendDataSegmentLength: number;
}

export function planUnsolicited(length: number, p: WriteParams): UnsolicitedPlan {
  const firstBurst = Math.min(length, p.firstBurstLength);
  const immediateLength = p.immediateData ? Math.min(firstBurst, p.maxSendDataSegmentLength) : 0;
  const unsolicitedEnd = p.initialR2T ? immediateLength : firstBurst;
  return { immediateLength, unsolicitedEnd };
}

/** Calls `emit` for each Data-Out PDU of one sequence covering [start, end). */
export function forEachDataOut(
  start: number,
  end: number,
  maxSegment: number,
  emit: (offset: number, length: number, dataSN: number, final: boolean) => void,
): void {
  let dataSN = 0;
  for (let offset = start; offset < end; offset += maxSegment) {
    const length = Math.min(maxSegment, end - offset);
    emit(offset, length, dataSN++, offset + length >= end);
  }
}
