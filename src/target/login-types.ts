/**
 * The contract between the connection (which owns PDUs and sockets) and the login
 * negotiator (which owns keys, CHAP and stage transitions). The negotiator never sees a
 * socket; the connection never parses a key.
 */
import type { TargetConfig } from './config.js';

/** Operational parameters in force after login (RFC 7143 §13). */
export interface SessionParams {
  headerDigest: boolean;
  dataDigest: boolean;
  /** Largest data segment WE may send (the initiator's declared MaxRecvDataSegmentLength). */
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

/** The fields of a Login Request the negotiator needs (the connection decodes the PDU). */
export interface LoginStep {
  isid: Buffer;
  tsih: number;
  cid: number;
  csg: number;
  nsg: number;
  transit: boolean;
  continue: boolean;
  versionMax: number;
  versionMin: number;
  /** Raw data segment: NUL-separated key=value pairs. */
  data: Buffer;
}

/** What to put in the Login Response. */
export interface LoginStepReply {
  csg: number;
  nsg: number;
  transit: boolean;
  continue: boolean;
  statusClass: number;
  statusDetail: number;
  data: Buffer;
}

export interface LoginOutcome {
  sessionType: 'Normal' | 'Discovery';
  initiatorName: string;
  initiatorAlias?: string;
  /** Undefined for discovery sessions. */
  target?: TargetConfig;
  params: SessionParams;
}

export interface LoginEnvironment {
  /** Targets reachable through this portal group. */
  findTarget(iqn: string): TargetConfig | undefined;
  portalGroupTag: number;
  /** Our declared limits (MaxRecvDataSegmentLength etc.) and preferences. */
  limits: {
    maxRecvDataSegmentLength: number;
    maxBurstLength: number;
    firstBurstLength: number;
    maxOutstandingR2T: number;
  };
  /** CHAP for discovery sessions (optional). */
  discoveryChap?: { chap?: { user: string; secret: string }; mutualChap?: { user: string; secret: string } };
}
