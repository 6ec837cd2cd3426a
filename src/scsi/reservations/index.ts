import { ConflictClass, type Nexus } from '../types.js';
import type { Reservations, UnitAttentions } from '../logical-unit.js';
import { Asc, SenseError, SenseKey } from '../sense.js';
import { LegacyReservation } from './legacy.js';
import { PersistentReservations, type Registration } from './persistent.js';
import { loadPrState, prStatePath, removePrState, savePrState } from './persistence.js';

export { LegacyReservation } from './legacy.js';
export { PersistentReservations, portKey, type Registration, type PersistentReservation } from './persistent.js';
export { PrType, isAllRegistrants, isValidPrType } from './pr-types.js';
export { adoptSharedPrState, sharedPrStateOf } from './shared-state.js';
export { encodeIscsiTransportId, decodeIscsiTransportId, type InitiatorPort } from './transport-id.js';

/** What reservations need from their LU; read lazily, since the LU may still be constructing. */
export interface ReservationsHost {
  metaDir: string;
  lun: number;
  unitAttentions: UnitAttentions;
  /** The nexus is the replicator (the peer node's session), not a host. */
  isReplicator(nexus: Nexus): boolean;
}

/**
 * Both reservation mechanisms of one LU. Legacy RESERVE/RELEASE and persistent
 * reservations exclude each other (SPC-4 §5.13.3, CRH=1): RESERVE conflicts with any
 * registration, and a legacy reservation makes everything but the always-allowed
 * commands (PR IN/OUT included) conflict for other nexuses.
 */
export class LuReservations implements Reservations {
  readonly legacy = new LegacyReservation();
  readonly persistent: PersistentReservations;
  private readonly statePath: string;
  /** Saves run one after another so the file always ends at the latest state. */
  private saving: Promise<void> = Promise.resolve();

  constructor(private readonly host: ReservationsHost) {
    this.persistent = new PersistentReservations(() => host.unitAttentions);
    this.statePath = prStatePath(host.metaDir, host.lun);
    const saved = loadPrState(this.statePath);
    if (saved) this.persistent.restore(saved);
  }

  conflicts(nexus: Nexus, conflictClass: number): boolean {
    // RESERVE/RELEASE decide for themselves: a RELEASE by a non-holder is a GOOD no-op.
    if (conflictClass === ConflictClass.Allowed || conflictClass === ConflictClass.LegacyReserve) return false;
    if (this.legacy.heldByOther(nexus)) return true;
    if (conflictClass === ConflictClass.PersistentReserve) return false;
    return this.persistent.conflicts(nexus, conflictClass);
  }

  /**
   * The nexus is the pair's own (the replicator), not a host's: what it registers for itself
   * (the volume tag the primary registers on its backup, docs/replication.md "Identity")
   * hosts neither see nor conflict with, and it stays with the node that holds it (the
   * shared state leaves it out).
   */
  byPair(nexus: Nexus): boolean {
    return this.host.isReplicator(nexus);
  }

  /** The registrations `viewer` is shown: all to the replicator, the hosts' to a host. */
  registrationsSeenBy(viewer: Nexus): Array<[string, Registration]> {
    const all = this.persistent.list();
    return this.byPair(viewer) ? all : all.filter(([, r]) => !this.byPair(r.nexus));
  }

  onReset(): void {
    this.legacy.clear();
  }

  onNexusLoss(nexus: Nexus): void {
    this.legacy.release(nexus);
  }

  admissionEpoch(): number {
    return this.persistent.admissionEpoch();
  }

  abortedSince(nexus: Nexus, epoch: number): boolean {
    return this.persistent.abortedSince(nexus, epoch);
  }

  /** After a PR OUT changed state: write it (APTPL) or remove what an earlier APTPL left. */
  persist(): Promise<void> {
    const snapshot = this.persistent.aptpl ? this.persistent.snapshot() : undefined;
    const path = this.statePath;
    const next = this.saving.then(() => (snapshot ? savePrState(path, snapshot) : removePrState(path)));
    // Keep the chain alive after a failure; the caller still sees this one's error.
    this.saving = next.catch(() => undefined);
    return next;
  }
}

export function createReservations(lu: ReservationsHost): Reservations {
  return new LuReservations(lu);
}

/** The concrete reservations of an LU, for the RESERVE/RELEASE and PR IN/OUT handlers. */
export function reservationsOf(lu: { reservations: Reservations }): LuReservations {
  if (lu.reservations instanceof LuReservations) return lu.reservations;
  throw new SenseError({ key: SenseKey.HARDWARE_ERROR, asc: Asc.INTERNAL_TARGET_FAILURE });
}
