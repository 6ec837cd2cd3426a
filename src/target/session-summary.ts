/**
 * What `tandem sessions` lists of each logged-in session (as tgtadm's `--op show` and
 * targetcli's `sessions` do): who, from where, through which portal, since when, how
 * authenticated, what was negotiated, and the commands it has running now.
 */
import type { Session } from './session.js';
import type { SessionAuthentication } from './login-types.js';

export interface SessionSummary {
  /** Undefined for a discovery session. */
  target?: string;
  kind: 'Normal' | 'Discovery';
  initiator: string;
  initiatorAlias?: string;
  /** The initiator port's ISID, 12 hex digits. */
  isid: string;
  tsih: number;
  /** HOST:PORT of the initiator's connection, and of the portal it reached; absent between connections. */
  peer?: string;
  portal?: string;
  /** Login time, ms since the epoch. */
  since: number;
  authentication: SessionAuthentication;
  headerDigest: boolean;
  dataDigest: boolean;
  maxBurstLength: number;
  maxRecvDataSegmentLength: number;
  /** Commands received and not yet answered. */
  tasks: number;
  /** The replicating peer's session, not a host's (set by whoever knows the replicator's name). */
  replicator?: boolean;
}

export function summarizeSession(s: Session): SessionSummary {
  const c = s.connection;
  return {
    ...(s.target ? { target: s.target.iqn } : {}),
    kind: s.kind,
    initiator: s.initiatorName,
    ...(s.initiatorAlias !== undefined ? { initiatorAlias: s.initiatorAlias } : {}),
    isid: s.isid,
    tsih: s.tsih,
    ...(c?.peerAddress !== undefined ? { peer: c.peerAddress } : {}),
    ...(c?.portalAddress !== undefined ? { portal: c.portalAddress } : {}),
    since: s.loggedInAt,
    authentication: s.authentication,
    headerDigest: s.params.headerDigest,
    dataDigest: s.params.dataDigest,
    maxBurstLength: s.params.maxBurstLength,
    maxRecvDataSegmentLength: s.params.maxRecvDataSegmentLength,
    tasks: s.tasks.size,
  };
}
