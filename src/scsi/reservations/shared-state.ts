/**
 * Persistent reservations of a replicated LU as both nodes of its pair hold them (the
 * replication engine numbers and ships them: REPLICATION CONTROL / PR STATE). Hosts see one
 * LU through two target ports, one per node, and register per I_T nexus or with ALL_TG_PT
 * through both at once (relative port 0 in the state), so the state holds registrations
 * through either node's port or both. Only the hosts' registrations are shared: one the pair
 * made for itself (the volume tag on a backup) stays with its node, where it says which
 * volume that node's disk holds.
 */
import type { SharedPrState, SharedRegistration } from '../../replica-protocol/index.js';
import { Asc } from '../sense.js';
import type { Nexus } from '../types.js';
import type { LuReservations } from './index.js';
import type { SavedRegistration } from './persistence.js';
import { ALL_TARGET_PORTS } from './persistent.js';

/** The reservations to share; `portOf` gives the relative target port hosts see for a port of this node. */
export function sharedPrStateOf(res: LuReservations, portOf: (nexus: Nexus) => number): Omit<SharedPrState, 'sequence' | 'mode'> {
  const pr = res.persistent;
  const saved = pr.snapshot();
  const live = pr.list();
  const shared = live.flatMap(([, r], i) => (res.byPair(r.nexus) ? [] : [i]));
  return {
    generation: saved.generation,
    aptpl: pr.aptpl,
    reservation: reindexed(saved.reservation, shared),
    registrations: shared.map((i) => {
      const r = saved.registrations[i]!;
      return {
        key: BigInt(`0x${r.key}`),
        initiatorName: r.initiatorName,
        isid: r.isid.toLowerCase(),
        targetName: r.targetName,
        tpgt: r.tpgt,
        relativePortId: live[i]![1].allTargetPorts ? ALL_TARGET_PORTS : portOf(live[i]![1].nexus),
      };
    }),
  };
}

/**
 * Replaces the hosts' persistent reservations on this LU with the peer's (persisted when
 * APTPL says so); this node's own pair registrations stay. A nexus of this node whose
 * registration the peer removed (a PREEMPT through the other node) gets REGISTRATIONS
 * PREEMPTED, as if the preemption had come through this node.
 */
export async function adoptSharedPrState(res: LuReservations, state: SharedPrState, ownTarget: string): Promise<void> {
  const pr = res.persistent;
  const before = pr.list();
  const saved = pr.snapshot();
  const ownPairs = saved.registrations.filter((_, i) => res.byPair(before[i]![1].nexus));
  // A peer from before pairs kept theirs may still send one: not a host's, so not taken.
  const hosts = state.registrations.flatMap((r, i) => (res.byPair(nexusOf(r)) ? [] : [i]));
  pr.restore({
    version: 1,
    generation: state.generation,
    registrations: [...hosts.map((i) => savedOf(state.registrations[i]!)), ...ownPairs],
    reservation: reindexed(state.reservation, hosts),
  });
  pr.aptpl = state.aptpl;
  const after = new Set(pr.list().map(([k]) => k));
  // A per-port registration through the peer's port has no nexus here; an ALL_TG_PT one reaches this node's nexuses of its initiator port.
  for (const [k, r] of before) if (!after.has(k) && (r.allTargetPorts || r.nexus.targetName === ownTarget)) pr.notify(r, Asc.REGISTRATIONS_PREEMPTED);
  await res.persist();
}

/** A reservation whose holder indexes a list, after the list kept only `kept` (old indexes); none when its holder went. */
function reindexed<T extends { holder: number | null }>(reservation: T | null, kept: readonly number[]): T | null {
  if (!reservation || reservation.holder === null) return reservation;
  const holder = kept.indexOf(reservation.holder);
  return holder < 0 ? null : { ...reservation, holder };
}

function savedOf(r: SharedRegistration): SavedRegistration {
  return { ...r, key: r.key.toString(16).padStart(16, '0') };
}

function nexusOf(r: SharedRegistration): Nexus {
  return { id: '', initiatorName: r.initiatorName, isid: r.isid, targetName: r.targetName, tpgt: r.tpgt, relativePortId: r.relativePortId };
}
