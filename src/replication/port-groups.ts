/**
 * The ALUA view of a replicated LU from this node (docs/multipath.md): one target port group
 * per node, its relative target port numbered like the group. The primary's group is
 * active/optimized, the backup's standby; both are transitioning while a role change runs
 * here; a stale primary's is unavailable (its image is older than the promoted peer's, so it
 * may serve neither reads nor writes). The peer's group is what this node's role implies for
 * it, or unavailable when the peer does not answer or said last that it is a stale primary;
 * a peer found to be a primary too (split brain) is active, as it reports itself.
 */
import { AccessState, type AccessStateCode, type PortGroupsReport, type ReplicationStateReport } from '../replica-protocol/index.js';
import type { ReplicationRole } from './settings.js';

export interface PortGroupInputs {
  role: ReplicationRole;
  transitioning: boolean;
  stale: boolean;
  portGroup: number;
  /** The peer's last replication state page (its port group), if read. */
  peer: ReplicationStateReport | undefined;
  /** The link's last operation with the peer succeeded. */
  peerReachable: boolean;
  /** The binding found the peer a primary too (split brain, or waiting for it to be demoted): its group is active, not what this role implies. */
  peerPrimary?: boolean;
  /** This node's state was set by a role change since start (RTPG STATUS CODE 02h). */
  changedImplicitly: boolean;
}

/** This node's own group's state (positional: every host command of a replicated LU asks). */
export function ownAccessState(role: ReplicationRole, transitioning: boolean, stale: boolean): AccessStateCode {
  if (transitioning) return AccessState.TRANSITIONING;
  if (role === 'backup') return AccessState.STANDBY;
  return stale ? AccessState.UNAVAILABLE : AccessState.ACTIVE_OPTIMIZED;
}

/** What this node's state implies for the peer's: one of the two is active, unless a change runs. */
function impliedPeerState(own: AccessStateCode): AccessStateCode {
  switch (own) {
    case AccessState.TRANSITIONING:
      return AccessState.TRANSITIONING;
    case AccessState.ACTIVE_OPTIMIZED:
      return AccessState.STANDBY;
    default:
      return AccessState.ACTIVE_OPTIMIZED;
  }
}

/** The group a peer that never reported one has: the other of the two defaults. */
function otherGroup(own: number): number {
  return own === 1 ? 2 : 1;
}

export function portGroupsOf(i: PortGroupInputs): PortGroupsReport {
  const state = ownAccessState(i.role, i.transitioning, i.stale);
  const peerGroup = i.peer?.alua?.portGroup ?? otherGroup(i.portGroup);
  return {
    local: { id: i.portGroup, state, relativePorts: [i.portGroup], changedImplicitly: i.changedImplicitly },
    peer:
      peerGroup === i.portGroup
        ? undefined
        : {
            id: peerGroup,
            state: !i.peerReachable || i.peer?.stale ? AccessState.UNAVAILABLE : i.peerPrimary ? AccessState.ACTIVE_OPTIMIZED : impliedPeerState(state),
            relativePorts: [i.peer?.alua?.relativePort ?? peerGroup],
            changedImplicitly: i.changedImplicitly,
          },
  };
}
