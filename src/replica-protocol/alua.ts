/**
 * ALUA (SPC-4 §5.15) of a replicated LU: one target port group per node of the pair. The
 * replication engine decides each group's asymmetric access state from the roles; the SCSI
 * layer reports it (INQUIRY TPGS, VPD 83h, REPORT TARGET PORT GROUPS) and refuses media
 * access through a port that is not active. Both sides share these types.
 */

/** ASYMMETRIC ACCESS STATE codes (SPC-4 Table 172). */
export const AccessState = {
  ACTIVE_OPTIMIZED: 0x0,
  STANDBY: 0x2,
  UNAVAILABLE: 0x3,
  TRANSITIONING: 0xf,
} as const;
export type AccessStateCode = (typeof AccessState)[keyof typeof AccessState];

export const ACCESS_STATE_CODES: readonly number[] = Object.values(AccessState);

export function accessStateName(state: AccessStateCode): 'active/optimized' | 'standby' | 'unavailable' | 'transitioning' {
  switch (state) {
    case AccessState.ACTIVE_OPTIMIZED:
      return 'active/optimized';
    case AccessState.STANDBY:
      return 'standby';
    case AccessState.UNAVAILABLE:
      return 'unavailable';
    case AccessState.TRANSITIONING:
      return 'transitioning';
  }
}

/** One target port group: a node's port of the LU. */
export interface TargetPortGroupReport {
  /** TARGET PORT GROUP identifier, 1-65535. */
  id: number;
  state: AccessStateCode;
  /** RELATIVE TARGET PORT IDENTIFIERs in the group (a node has one port per LU). */
  relativePorts: readonly number[];
  /** The state was last changed by the device itself (a role change): RTPG STATUS CODE 02h. */
  changedImplicitly: boolean;
}

/** The LU's port groups as this node knows them: its own first, the peer's when known. */
export interface PortGroupsReport {
  local: TargetPortGroupReport;
  peer: TargetPortGroupReport | undefined;
}

/** Port group ids a new volume takes: the node created as primary 1, as backup 2. */
export const DEFAULT_PORT_GROUP = { primary: 1, backup: 2 } as const;
