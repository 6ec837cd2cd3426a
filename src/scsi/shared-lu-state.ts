/**
 * What both nodes of a replicated LU hold besides its data: hosts see one LU through two
 * target ports, one per node, so what a host sets through either port is the LU's — its
 * persistent reservations and the mode parameters MODE SELECT may change (a host that set
 * WCE=0 through the primary sends no SYNCHRONIZE CACHE, so the backup must not cache its
 * writes once promoted). The engine numbers the state and ships it whole (REPLICATION
 * CONTROL / PR STATE).
 */
import type { ReplicationEndpoint, SharedPrState } from '../replica-protocol/index.js';
import type { Reservations, UnitAttentions } from './logical-unit.js';
import type { ModePages } from './mode-pages.js';
import { adoptSharedPrState, reservationsOf, sharedPrStateOf } from './reservations/index.js';
import { Asc } from './sense.js';
import type { Nexus } from './types.js';

/** The LogicalUnit members sharing reads and writes (LogicalUnit satisfies it). */
export interface SharedStateLu {
  readonly reservations: Reservations;
  readonly modePages: ModePages;
  readonly unitAttentions: UnitAttentions;
  readonly targetName: string;
  readonly replication?: ReplicationEndpoint | undefined;
  relativePortOf?(nexus: Nexus): number;
}

/** The relative target port hosts see for a port of this node (a replicated LU numbers its own). */
export function hostPortOf(lu: Pick<SharedStateLu, 'relativePortOf'>): (nexus: Nexus) => number {
  return (n) => lu.relativePortOf?.(n) ?? n.relativePortId;
}

/** The state to hand the peer after a change through this node's port. */
export function sharedLuStateOf(lu: SharedStateLu): Omit<SharedPrState, 'sequence'> {
  return { ...sharedPrStateOf(reservationsOf(lu), hostPortOf(lu)), mode: lu.modePages.shared() };
}

/** A change made through this node reaches the peer before the host gets its answer (when the peer answers). */
export async function publishLuState(lu: SharedStateLu): Promise<void> {
  await lu.replication?.publishPrState(sharedLuStateOf(lu));
}

/**
 * The peer's state replaces this node's (the caller decided it is newer). Each of this node's
 * I_T nexuses learns of changed mode parameters (MODE PARAMETERS CHANGED), as every nexus but
 * the sender's does after a MODE SELECT through this node.
 */
export async function adoptSharedLuState(lu: SharedStateLu, state: SharedPrState): Promise<void> {
  await adoptSharedPrState(reservationsOf(lu), state, lu.targetName);
  if (lu.modePages.adoptShared(state.mode)) lu.unitAttentions.establish(Asc.MODE_PARAMETERS_CHANGED);
}
