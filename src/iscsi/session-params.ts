/** Operational parameters in force after login (RFC 7143 §13). */
export interface SessionParams {
  headerDigest: boolean;
  dataDigest: boolean;
  /** Largest data segment WE may send (the peer's declared MaxRecvDataSegmentLength). */
  maxSendDataSegmentLength: number;
  /** Largest data segment we accept (what we declared). */
  maxRecvDataSegmentLength: number;
  maxBurstLength: number;
  firstBurstLength: number;
  initialR2T: boolean;
  immediateData: boolean;
  maxOutstandingR2T: number;
  dataPDUInOrder: boolean;
  dataSequenceInOrder: boolean;
  defaultTime2Wait: number;
  defaultTime2Retain: number;
  maxConnections: number;
  errorRecoveryLevel: number;
}

/** RFC 7143 defaults: what is in force for any key never negotiated. */
export const DEFAULT_SESSION_PARAMS: Readonly<SessionParams> = Object.freeze({
  headerDigest: false,
  dataDigest: false,
  maxSendDataSegmentLength: 8192,
  maxRecvDataSegmentLength: 8192,
  maxBurstLength: 262_144,
  firstBurstLength: 65_536,
  initialR2T: true,
  immediateData: true,
  maxOutstandingR2T: 1,
  dataPDUInOrder: true,
  dataSequenceInOrder: true,
  defaultTime2Wait: 2,
  defaultTime2Retain: 20,
  maxConnections: 1,
  errorRecoveryLevel: 0,
});
