/**
 * The contract between the connection (which owns PDUs and sockets) and the login
 * negotiator (which owns keys, CHAP and stage transitions). The negotiator never sees a
 * socket; the connection never parses a key.
 */
import type { SessionParams } from '../iscsi/session-params.js';
import type { TargetConfig } from './config.js';

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
  /** How the initiator proved who it is (mutual: the target answered a challenge too). */
  authentication: SessionAuthentication;
}

export type SessionAuthentication = 'none' | 'chap' | 'mutual-chap';

export interface LoginEnvironment {
  /** Targets reachable through this portal group, whatever the case of `iqn` (target-registry.ts). */
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
