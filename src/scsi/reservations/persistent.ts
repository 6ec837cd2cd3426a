import { ScsiStatus, type Nexus } from '../types.js';
import { StatusError } from '../descriptor.js';
import { Asc, SenseError, SenseKey, invalidCdbField, invalidParamField } from '../sense.js';
import type { UnitAttentions } from '../logical-unit.js';
import { announcesRelease, isAllRegistrants, isValidPrType, PrType } from './pr-types.js';
import { persistentReservationConflicts } from './conflict-matrix.js';
import type { InitiatorPort } from './transport-id.js';
import type { SavedState } from './persistence.js';

/** The identity of an I_T nexus that survives reconnects: initiator port plus target port. */
interface PortIdentity {
  initiatorName: string;
  isid: string;
  targetName: string;
  tpgt: number;
}

export interface Registration {
  /** Most recent Nexus object seen for this I_T nexus (UAs are keyed by its id). */
  nexus: Nexus;
  key: bigint;
  /** Its key in the registration map: portKey, or initiatorPortKey when it covers every target port. */
  port: string;
  /** Made with ALL_TG_PT: the initiator port is registered through every target port of the LU (both nodes' of a pair). */
  allTargetPorts: boolean;
}

/**
 * The RELATIVE TARGET PORT IDENTIFIER a saved or shared registration carries when it covers
 * every target port: SPC-4 numbers target ports from 1, so 0 names none.
 */
export const ALL_TARGET_PORTS = 0;

export interface PersistentReservation {
  type: number;
  /** Port key of the holder; undefined for the all-registrants types (every registrant holds it). */
  holder?: string;
}

export interface RegisterRequest {
  /** RESERVATION KEY field. */
  key: bigint;
  /** SERVICE ACTION RESERVATION KEY field. */
  sark: bigint;
  aptpl: boolean;
  /** SPEC_I_PT TransportIDs to register too (REGISTER only). */
  specifiedPorts?: InitiatorPort[];
  /** ALL_TG_PT: register the initiator port through every target port. */
  allTargetPorts?: boolean;
}

export interface RegisterAndMoveRequest {
  key: bigint;
  sark: bigint;
  aptpl: boolean;
  unregister: boolean;
  relativePortId: number;
  destination: InitiatorPort;
}

/** Byte offsets in the basic PR OUT parameter list, for field pointers. */
const SARK_FIELD = 8;
const SPEC_I_PT_BYTE = 20;

export function portKey(p: PortIdentity): string {
  return `${p.initiatorName.toLowerCase()}\u0000${p.isid.toLowerCase()}\u0000${p.targetName}\u0000${p.tpgt}`;
}

/** The key of an ALL_TG_PT registration: the initiator port alone (never equal to a portKey). */
function initiatorPortKey(p: Pick<PortIdentity, 'initiatorName' | 'isid'>): string {
  return `${p.initiatorName.toLowerCase()}\u0000${p.isid.toLowerCase()}`;
}

/** A Nexus for a port we have not seen yet (APTPL reload, SPEC_I_PT), in the types.ts id format. */
function syntheticNexus(p: PortIdentity, relativePortId: number): Nexus {
  return {
    // The transport's id format (src/target/connection.ts), so unit attentions reach the live nexus.
    id: `${p.initiatorName},i,0x${p.isid}|${p.targetName},t,0x${p.tpgt.toString(16).padStart(4, '0')}`,
    initiatorName: p.initiatorName,
    isid: p.isid,
    targetName: p.targetName,
    tpgt: p.tpgt,
    relativePortId,
  };
}

/** Whether the nexus registered as `reg` holds `res`. An ALL_TG_PT registration holds through every target port: a host's reservation survives a failover. */
function holds(res: PersistentReservation, reg: Registration | undefined): boolean {
  if (isAllRegistrants(res.type)) return reg !== undefined;
  return res.holder !== undefined && res.holder === reg?.port;
}

function reservationConflict(): StatusError {
  return new StatusError(ScsiStatus.RESERVATION_CONFLICT);
}

/**
 * SPC-4 persistent reservations of one LU (§5.13): registrations per I_T nexus, the
 * reservation, and PRgeneration. Mutators are synchronous and throw StatusError
 * (RESERVATION CONFLICT) or SenseError; the owner persists afterwards when APTPL is set.
 */
export class PersistentReservations {
  generation = 0;
  aptpl = false;
  private readonly registrations = new Map<string, Registration>();
  private current: PersistentReservation | undefined;
  /** Bumped by each PREEMPT AND ABORT that removes a registration; a command records it when admitted. */
  private abortEpoch = 0;
  /** Registration (port) key -> the abortEpoch of the PREEMPT AND ABORT that removed it. */
  private readonly abortedAt = new Map<string, number>();

  constructor(private readonly unitAttentions: () => UnitAttentions) {}

  get reservation(): PersistentReservation | undefined {
    return this.current;
  }

  /** Registrations in registration order. */
  list(): Array<[string, Registration]> {
    return [...this.registrations];
  }

  registrationOf(nexus: Nexus): Registration | undefined {
    if (this.registrations.size === 0) return undefined;
    const reg = this.registrations.get(portKey(nexus)) ?? this.registrations.get(initiatorPortKey(nexus));
    // Adopt the live Nexus so unit attentions reach the id the dispatcher uses.
    if (reg && reg.nexus !== nexus) reg.nexus = nexus;
    return reg;
  }

  isHolder(nexus: Nexus): boolean {
    return this.current !== undefined && holds(this.current, this.registrationOf(nexus));
  }

  // Every command checks this while a reservation is held: one registration lookup.
  conflicts(nexus: Nexus, conflictClass: number): boolean {
    const res = this.current;
    if (!res) return false;
    const reg = this.registrationOf(nexus);
    return !holds(res, reg) && persistentReservationConflicts(res.type, reg !== undefined, conflictClass);
  }

  /** REGISTER (ignoreExisting=false) and REGISTER AND IGNORE EXISTING KEY (true). */
  register(nexus: Nexus, req: RegisterRequest, ignoreExisting: boolean): void {
    if (req.allTargetPorts) return this.registerAllTargetPorts(nexus, req, ignoreExisting);
    const own = portKey(nexus);
    const reg = this.registrationOf(nexus);
    if (!reg) {
      if (!ignoreExisting && req.key !== 0n) throw reservationConflict();
      if (req.sark === 0n) {
        // Unregistering an unregistered nexus: nothing to do (SPC-4 §5.13.7).
        if (req.specifiedPorts?.length) throw invalidParamField(SARK_FIELD);
        return;
      }
      const additions: Array<[string, Nexus]> = [[own, nexus]];
      for (const port of req.specifiedPorts ?? []) {
        const identity = { ...port, targetName: nexus.targetName, tpgt: nexus.tpgt };
        const k = portKey(identity);
        if (this.registrations.has(k) || this.registrations.has(initiatorPortKey(identity))) throw reservationConflict();
        if (!additions.some(([a]) => a === k)) additions.push([k, syntheticNexus(identity, nexus.relativePortId)]);
      }
      for (const [k, n] of additions) this.registrations.set(k, { nexus: n, key: req.sark, port: k, allTargetPorts: false });
    } else {
      // Through a nexus an ALL_TG_PT registration covers, this acts on it whole (it is not split per port).
      if (!ignoreExisting && req.key !== reg.key) throw reservationConflict();
      if (req.specifiedPorts?.length) throw invalidParamField(SPEC_I_PT_BYTE, 3);
      if (req.sark === 0n) this.unregister(reg.port);
      else reg.key = req.sark;
    }
    this.aptpl = req.aptpl;
    this.generation++;
  }

  /**
   * REGISTER (AND IGNORE EXISTING KEY) with ALL_TG_PT: as if sent through every target port
   * (SPC-4 §6.16.3), so REGISTER's key must match each registration the initiator port holds
   * through any of them (0 when it holds none). Its registrations become one that covers every
   * port, holding the reservation if one of them held it; SARK 0 removes them all.
   */
  private registerAllTargetPorts(nexus: Nexus, req: RegisterRequest, ignoreExisting: boolean): void {
    const initiator = initiatorPortKey(nexus);
    const held = [...this.registrations].filter(([, r]) => initiatorPortKey(r.nexus) === initiator);
    if (!ignoreExisting && (held.length === 0 ? req.key !== 0n : held.some(([, r]) => r.key !== req.key))) throw reservationConflict();
    if (held.length === 0 && req.sark === 0n) return;
    if (req.sark === 0n) {
      for (const [k] of held) this.unregister(k);
    } else {
      const holding = this.current?.holder !== undefined && held.some(([k]) => k === this.current!.holder);
      for (const [k] of held) this.registrations.delete(k);
      this.registrations.set(initiator, { nexus, key: req.sark, port: initiator, allTargetPorts: true });
      if (holding) this.current = { ...this.current!, holder: initiator };
    }
    this.aptpl = req.aptpl;
    this.generation++;
  }

  reserve(nexus: Nexus, key: bigint, type: number): void {
    const reg = this.requireKey(nexus, key);
    const res = this.current;
    if (res) {
      if (!this.isHolder(nexus) || res.type !== type) throw reservationConflict();
      return;
    }
    this.current = { type, holder: isAllRegistrants(type) ? undefined : reg.port };
  }

  release(nexus: Nexus, key: bigint, type: number): void {
    const reg = this.requireKey(nexus, key);
    const res = this.current;
    if (!res || !this.isHolder(nexus)) return;
    if (res.type !== type) {
      throw new SenseError({ key: SenseKey.ILLEGAL_REQUEST, asc: Asc.INVALID_RELEASE_OF_PERSISTENT_RESERVATION });
    }
    this.current = undefined;
    if (announcesRelease(res.type)) this.announce(Asc.RESERVATIONS_RELEASED, reg.port);
  }

  clear(nexus: Nexus, key: bigint): void {
    this.announce(Asc.RESERVATIONS_PREEMPTED, this.requireKey(nexus, key).port);
    this.registrations.clear();
    this.current = undefined;
    this.generation++;
  }

  /** What a command admitted now records, for abortedSince. */
  admissionEpoch(): number {
    return this.abortEpoch;
  }

  /**
   * Whether a PREEMPT AND ABORT removed the registration of `nexus` after a command of its was
   * admitted at `epoch`: that command is aborted (SPC-4 §5.13.11.4.4), it must not run.
   */
  abortedSince(nexus: Nexus, epoch: number): boolean {
    if (epoch === this.abortEpoch) return false;
    const at = Math.max(this.abortedAt.get(portKey(nexus)) ?? 0, this.abortedAt.get(initiatorPortKey(nexus)) ?? 0);
    return at > epoch;
  }

  /**
   * The nexuses whose registration the PREEMPT AND ABORT that made `epoch` (admissionEpoch()
   * right after it) removed: an ALL_TG_PT registration's through any target port.
   */
  abortedBy(epoch: number): (nexus: Nexus) => boolean {
    return (n) => this.abortedAt.get(portKey(n)) === epoch || this.abortedAt.get(initiatorPortKey(n)) === epoch;
  }

  /**
   * PREEMPT, and PREEMPT AND ABORT (`abort`): the removed nexuses' commands are aborted (the
   * caller aborts those already in the task set, see persistent-reserve-out.ts; any that
   * comes to run later is refused by abortedSince). Where they end without status
   * (`abort.silently`: the Control page's TAS clear) their nexuses are told COMMANDS CLEARED
   * BY ANOTHER INITIATOR; with TAS set each aborted command answers TASK ABORTED instead
   * (SAM-5 §5.6, as SCST does). Returns the removed nexuses.
   */
  preempt(nexus: Nexus, key: bigint, sark: bigint, type: number, abort?: { silently: boolean }): Nexus[] {
    const own = this.requireKey(nexus, key).port;
    const res = this.current;
    let removed: Registration[];
    if (res && isAllRegistrants(res.type) && sark === 0n) {
      // All-registrants reservation preempted by key 0: everyone else goes, we hold a new one.
      this.requireType(type);
      removed = this.removeWhere((k) => k !== own);
      this.current = { type, holder: isAllRegistrants(type) ? undefined : own };
    } else {
      if (sark === 0n) throw invalidParamField(SARK_FIELD);
      const holderKey = res && !isAllRegistrants(res.type) && res.holder ? this.registrations.get(res.holder)?.key : undefined;
      if (holderKey !== undefined && holderKey === sark) {
        this.requireType(type);
        removed = this.removeWhere((k, r) => k !== own && r.key === sark);
        this.current = { type, holder: isAllRegistrants(type) ? undefined : own };
      } else {
        const matches = [...this.registrations].some(([k, r]) => k !== own && r.key === sark);
        if (!matches) throw reservationConflict();
        removed = this.removeWhere((k, r) => k !== own && r.key === sark);
      }
    }
    for (const r of removed) this.notify(r, Asc.REGISTRATIONS_PREEMPTED);
    if (abort && removed.length > 0) {
      this.abortEpoch++;
      for (const r of removed) {
        this.abortedAt.set(r.port, this.abortEpoch);
        if (abort.silently) this.notify(r, Asc.COMMANDS_CLEARED_BY_ANOTHER_INITIATOR);
      }
    }
    // SPC-4 §5.13.11.4.3 g): a new type (the scope is always LU) is news to every registrant left but the sender.
    if (res && this.current && this.current.type !== res.type) this.announce(Asc.RESERVATIONS_RELEASED, own);
    this.generation++;
    return removed.map((r) => r.nexus);
  }

  registerAndMove(nexus: Nexus, req: RegisterAndMoveRequest): void {
    const reg = this.registrationOf(nexus);
    if (!reg || reg.key !== req.key) throw reservationConflict();
    const own = reg.port;
    const res = this.current;
    if (!res || !this.isHolder(nexus) || isAllRegistrants(res.type)) throw reservationConflict();
    if (req.sark === 0n) throw invalidParamField(SARK_FIELD);
    // One target port per target today: the move must stay on the port it arrived on.
    if (req.relativePortId !== nexus.relativePortId) throw invalidParamField(18);
    const identity = { ...req.destination, targetName: nexus.targetName, tpgt: nexus.tpgt };
    if (initiatorPortKey(identity) === initiatorPortKey(nexus)) throw invalidParamField(24);
    // A destination already registered (through this port, or through all) keeps its registration.
    const existing = this.registrations.get(portKey(identity)) ?? this.registrations.get(initiatorPortKey(identity));
    const dest = existing?.port ?? portKey(identity);
    if (!existing) {
      this.registrations.set(dest, { nexus: syntheticNexus(identity, nexus.relativePortId), key: req.sark, port: dest, allTargetPorts: false });
    }
    this.current = { type: res.type, holder: dest };
    if (req.unregister) this.registrations.delete(own);
    this.aptpl = req.aptpl;
    this.generation++;
  }

  snapshot(): SavedState {
    const keys = [...this.registrations.keys()];
    const res = this.current;
    return {
      version: 1,
      generation: this.generation,
      registrations: [...this.registrations.values()].map(({ nexus, key, allTargetPorts }) => ({
        initiatorName: nexus.initiatorName,
        isid: nexus.isid,
        targetName: nexus.targetName,
        tpgt: nexus.tpgt,
        relativePortId: allTargetPorts ? ALL_TARGET_PORTS : nexus.relativePortId,
        key: key.toString(16).padStart(16, '0'),
      })),
      reservation: res ? { type: res.type, holder: res.holder === undefined ? null : keys.indexOf(res.holder) } : null,
    };
  }

  restore(saved: SavedState): void {
    this.registrations.clear();
    this.generation = saved.generation >>> 0;
    this.aptpl = true;
    const keys: string[] = [];
    for (const r of saved.registrations) {
      if (typeof r.initiatorName !== 'string' || !/^[0-9a-fA-F]{1,16}$/.test(r.key)) continue;
      const allTargetPorts = r.relativePortId === ALL_TARGET_PORTS;
      const k = allTargetPorts ? initiatorPortKey(r) : portKey(r);
      keys.push(k);
      this.registrations.set(k, { nexus: syntheticNexus(r, r.relativePortId), key: BigInt(`0x${r.key}`), port: k, allTargetPorts });
    }
    const res = saved.reservation;
    this.current = undefined;
    if (res && isValidPrType(res.type)) {
      const holder = res.holder === null ? undefined : keys[res.holder];
      if (isAllRegistrants(res.type) || holder !== undefined) this.current = { type: res.type, holder };
    }
  }

  private requireKey(nexus: Nexus, key: bigint): Registration {
    const reg = this.registrationOf(nexus);
    if (!reg || reg.key !== key) throw reservationConflict();
    return reg;
  }

  private requireType(type: number): void {
    if (!isValidPrType(type)) throw invalidCdbField(2, 3);
  }

  /** Drop a registration, and the reservation with it when it was the (last) holder. */
  private unregister(k: string): void {
    this.registrations.delete(k);
    const res = this.current;
    if (!res) return;
    if (isAllRegistrants(res.type)) {
      if (this.registrations.size === 0) this.current = undefined;
    } else if (res.holder === k) {
      this.current = undefined;
      // SPC-4 §5.13.11.2.3: registrants-only holders leaving release the reservation loudly.
      if (res.type === PrType.WRITE_EXCLUSIVE_REGISTRANTS_ONLY || res.type === PrType.EXCLUSIVE_ACCESS_REGISTRANTS_ONLY) {
        this.announce(Asc.RESERVATIONS_RELEASED, k);
      }
    }
  }

  private removeWhere(pred: (k: string, r: Registration) => boolean): Registration[] {
    const removed: Registration[] = [];
    for (const [k, r] of this.registrations) {
      if (pred(k, r)) {
        this.registrations.delete(k);
        removed.push(r);
      }
    }
    return removed;
  }

  private announce(asc: readonly [number, number], exceptKey: string): void {
    for (const [k, r] of this.registrations) if (k !== exceptKey) this.notify(r, asc);
  }

  /**
   * A unit attention for the registration's nexus; for an ALL_TG_PT registration, for every
   * nexus of its initiator port this LU knows (the host may be on any of its paths).
   */
  notify(reg: Registration, asc: readonly [number, number]): void {
    if (reg.allTargetPorts) this.unitAttentions().establishWhere(asc, (n) => initiatorPortKey(n) === reg.port);
    else this.unitAttentions().establishFor(reg.nexus, asc);
  }
}
