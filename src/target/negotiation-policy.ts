import type { NegotiationPolicy } from '../iscsi/negotiation.js';

/** What the target offers and accepts during login, within its transport limits. */
export function defaultTargetPolicy(limits: {
  maxRecvDataSegmentLength: number;
  maxBurstLength: number;
  firstBurstLength: number;
  maxOutstandingR2T: number;
}): NegotiationPolicy {
  return {
    headerDigests: ['CRC32C', 'None'],
    dataDigests: ['CRC32C', 'None'],
    ...limits,
    // OR semantics: saying No lets the initiator decide whether it wants unsolicited data.
    initialR2T: false,
    immediateData: true,
    dataPDUInOrder: true,
    dataSequenceInOrder: true,
    defaultTime2Wait: 2,
    // ERL 0 only: nothing survives a dropped connection, so we promise to retain nothing.
    defaultTime2Retain: 0,
    maxConnections: 1,
    errorRecoveryLevel: 0,
    protocolLevel: 1,
  };
}
