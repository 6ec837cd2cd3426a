/**
 * What a replicated LU answers its peer (the target side of VPD C1h, C6h and C7h): the
 * replication engine implements it, the SCSI layer calls it, neither knows the other.
 */
import type { AccessStateCode, PortGroupsReport } from './alua.js';
import type { ChangeMapSlice } from './change-map.js';
import type { PointMarker } from './point-marker.js';
import type { SharedPrState } from './pr-state.js';
import type { AdoptParameters } from './replication-control.js';
import type { ReplicationStateReport } from './replication-state.js';

export interface ReplicationEndpoint {
  state(): ReplicationStateReport;
  /** At most `maxBytes` bitmap bytes from `startByte` (none past the end). */
  changeMap(startByte: number, maxBytes: number): ChangeMapSlice;
  beginResync(sourceCurrent: bigint): Promise<void>;
  /** Resolves with whether the device identity hosts see changed (their unit attention is the LU's to raise). */
  adopt(parameters: AdoptParameters): Promise<{ identityChanged: boolean }>;
  /** Switchover: become the primary, provided this node holds `sourceCurrent` whole. */
  promoteBySwitchover(sourceCurrent: bigint): Promise<void>;
  /** ALUA: this node's target port group and the peer's, with their access states now. */
  portGroups(): PortGroupsReport;
  /** ALUA: this node's access state now (what every host command checks: no report built). */
  localAccessState(): AccessStateCode;
  /**
   * The LU's persistent reservations changed here (a PR OUT through this node): the engine
   * numbers the state and hands it to the peer. Resolves once the peer holds it or could not
   * be reached (it is sent again when the peer answers); never rejects.
   */
  publishPrState(state: Omit<SharedPrState, 'sequence'>): Promise<void>;
  /** The peer's state (REPLICATION CONTROL / PR STATE): true when it is newer than this node's, which it then replaces. */
  offerPrState(state: SharedPrState): boolean;
  /**
   * POINT: a backup takes recovery point `point` of its image as it is now (every change its
   * primary sent before is applied); resolves once the point is durable. ReplicationSequenceError
   * when this node keeps no points or the id is not above its newest.
   */
  takePoint(point: PointMarker): Promise<void>;
}

/** The action does not fit the LU's replication state now: COMMAND SEQUENCE ERROR. */
export class ReplicationSequenceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReplicationSequenceError';
  }
}
