/**
 * Whether a session's initiator is the primary replicating into this node. Asked several
 * times for every command (write admission, ALUA state), so the name is lower-cased once per
 * session, not per ask (it showed as 1.7% of a replicating primary's CPU); iSCSI names
 * compare without regard to case.
 */
import type { Nexus } from '../scsi/types.js';

/** The same test on a bare initiator name (a login not yet bound to a session). */
export function isReplicatorName(replicatorIqn: string): (initiatorName: string) => boolean {
  const wanted = replicatorIqn.toLowerCase();
  return (name) => name.toLowerCase() === wanted;
}

export function replicatorMatcher(replicatorIqn: string | undefined): (nexus: Nexus) => boolean {
  const wanted = replicatorIqn?.toLowerCase();
  // Keyed by the session's nexus object: bounded by the sessions alive.
  const known = new WeakMap<Nexus, boolean>();
  return (nexus) => {
    let is = known.get(nexus);
    if (is === undefined) {
      is = wanted !== undefined && nexus.initiatorName.toLowerCase() === wanted;
      known.set(nexus, is);
    }
    return is;
  };
}
