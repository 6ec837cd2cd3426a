/**
 * Persistent reservations of a replicated LU as both nodes of its pair hold them (the
 * replication engine numbers and ships them: REPLICATION CONTROL / PR STATE). Hosts see one
 * LU through two target ports, one per node, and register per I_T nexus (ALL_TG_PT is not
 * supported), so the state holds registrations through either node's port.
 */
import type { SharedPrState } from '../../replica-protocol/index.js';
import type { UnitAttentions } from '../logical-unit.js';
import { Asc } from '../sense.js';
import type { Nexus } from '../types.js';
import type { LuReservations } from './index.js';

/** The state to share; `portOf` gives the relative target port hosts see for a port of this node. */
export function sharedPrStateOf(res: LuReservations, portOf: (nexus: Nexus) => number): Omit<SharedPrState, 'sequence'> {
  const pr = res.persistent;
  const saved = pr.snapshot();
  const live = pr.list();
  return {
    generation: saved.generation,
    aptpl: pr.aptpl,
    reservation: saved.reservation,
    registrations: saved.registrations.map((r, i) => ({
      key: BigInt(`0x${r.key}`),
      initiatorName: r.initiatorName,
      isid: r.isid.toLowerCase(),
      targetName: r.targetName,
      tpgt: r.tpgt,
      relativePortId: portOf(live[i]![1].nexus),
    })),
  };
}

/**
 * Replaces the LU's persistent reservations with the peer's (persisted when APTPL says so).
 * A nexus of this node whose registration the peer removed (a PREEMPT through the other
 * node) gets REGISTRATIONS PREEMPTED, as if the preemption had come through this node.
 */
export async function adoptSharedPrState(res: LuReservations, state: SharedPrState, attentions: UnitAttentions, ownTarget: string): Promise<void> {
  const pr = res.persistent;
  const before = pr.list();
  pr.restore({
    version: 1,
    generation: state.generation,
    registrations: state.registrations.map((r) => ({ ...r, key: r.key.toString(16).padStart(16, '0') })),
    reservation: state.reservation,
  });
  pr.aptpl = state.aptpl;
  const after = new Set(pr.list().map(([k]) => k));
  for (const [k, r] of before) if (!after.has(k) && r.nexus.targetName === ownTarget) attentions.establishFor(r.nexus, Asc.REGISTRATIONS_PREEMPTED);
  await res.persist();
}
