/**
 * ALUA access checks (SPC-4 §5.15.2.4) for a replicated LU: a host reaches the LU through
 * this node's target port group, whose access state the replication engine decides. The
 * replicator (the peer's session) is not a host: what it sends is the pair's own traffic,
 * which a standby backup must take, so it is never refused here.
 */
import { AccessState, type AccessStateCode } from '../replica-protocol/index.js';
import type { CommandDescriptor } from './descriptor.js';
import type { LogicalUnit } from './logical-unit.js';
import { Asc, SenseKey, type SenseInfo } from './sense.js';
import type { Nexus } from './types.js';

/** NOT READY, LOGICAL UNIT NOT ACCESSIBLE with the port's state; undefined for an active state. */
export function notAccessible(state: AccessStateCode): SenseInfo | undefined {
  switch (state) {
    case AccessState.STANDBY:
      return { key: SenseKey.NOT_READY, asc: Asc.LOGICAL_UNIT_NOT_ACCESSIBLE_TARGET_PORT_IN_STANDBY_STATE };
    case AccessState.UNAVAILABLE:
      return { key: SenseKey.NOT_READY, asc: Asc.LOGICAL_UNIT_NOT_ACCESSIBLE_TARGET_PORT_IN_UNAVAILABLE_STATE };
    case AccessState.TRANSITIONING:
      return { key: SenseKey.NOT_READY, asc: Asc.LOGICAL_UNIT_NOT_ACCESSIBLE_ASYMMETRIC_ACCESS_STATE_TRANSITION };
    default:
      return undefined;
  }
}

/** The host port's access state, or undefined when ALUA does not apply (a plain LU, or the replicator). */
export function hostAccessState(lu: LogicalUnit, nexus: Nexus): AccessStateCode | undefined {
  if (!lu.replication || lu.isReplicator(nexus)) return undefined;
  return lu.replication.localAccessState();
}

/** Why `descriptor` may not run through this nexus's port now; undefined when it may. */
export function aluaRefusal(lu: LogicalUnit, nexus: Nexus, descriptor: CommandDescriptor): SenseInfo | undefined {
  const state = hostAccessState(lu, nexus);
  if (state === undefined) return undefined;
  const allowed = descriptor.allowedInStandby;
  if (allowed === 'inactive' || (allowed === 'standby' && state === AccessState.STANDBY)) return undefined;
  return notAccessible(state);
}
