/**
 * Outstanding challenge lists of one LU, per I_T nexus: a list is created by SEND
 * CHALLENGE LIST, hashed in the background, and consumed by RECEIVE CHALLENGE ANSWERS.
 * Bounded per nexus and per LU so that no peer, however many sessions it opens, can grow
 * this state past MAX_LISTS_PER_LU × (Data-Out + answers) bytes.
 */
import { CdbField, ChallengeLimits } from '../../replica-protocol/index.js';
import { SenseError, SenseKey, type AscPair } from '../sense.js';

export const OPERATION_IN_PROGRESS: AscPair = [0x00, 0x16];
export const INSUFFICIENT_RESOURCES: AscPair = [0x55, 0x03];

export interface ChallengeList {
  state: 'hashing' | 'done' | 'failed';
  /** Encoded RECEIVE CHALLENGE ANSWERS data, once done. */
  answers?: Buffer;
  /** The hashing failure (a BlockIoError, mapped to MEDIUM ERROR by the dispatcher). */
  error?: unknown;
  /** Settles (never rejects) when the state leaves 'hashing'. */
  readonly settled: Promise<void>;
}

export class ChallengeLists {
  private readonly byNexus = new Map<string, Map<number, ChallengeList>>();
  private total = 0;
  /**
   * Lists of lost nexuses still hashing: nobody can collect them, but they still hold their
   * entries and will hold answers, so they count against the LU until settled. Otherwise
   * login, SEND, logout, repeated, grew the hashing in flight without bound.
   */
  private orphans = 0;

  constructor(
    private readonly maxPerNexus: number = ChallengeLimits.MAX_LISTS_PER_NEXUS,
    private readonly maxPerLu: number = ChallengeLimits.MAX_LISTS_PER_LU,
  ) {}

  /** Lists counted against the LU: registered ones plus orphans still hashing. */
  get size(): number {
    return this.total + this.orphans;
  }

  /**
   * Throws unless a list `listId` may be created now: OPERATION IN PROGRESS while a list with
   * that ID is still hashing; INSUFFICIENT RESOURCES when a bound is reached (and the nexus
   * has no abandoned list to give up, below). Changes nothing: SEND asks before its Data-Out.
   */
  checkRoom(nexusId: string, listId: number): void {
    this.roomFor(nexusId, listId);
  }

  /**
   * As checkRoom, then makes the room: at the nexus's bound, its oldest finished, unreceived
   * list is dropped. That is one its initiator abandoned (a RECEIVE that timed out or was
   * aborted), since an initiator keeps no more lists outstanding than VPD C0h allows. Kept,
   * eight abandoned lists refused every later SEND of that session for as long as it lasted:
   * a primary whose challenges had timed out on a slow link never finished a resync again.
   */
  makeRoom(nexusId: string, listId: number): void {
    const abandoned = this.roomFor(nexusId, listId);
    if (abandoned) this.remove(nexusId, abandoned[0], abandoned[1]);
  }

  /** The list that must go to make room (none: there is room), or the refusal. */
  private roomFor(nexusId: string, listId: number): [number, ChallengeList] | undefined {
    const mine = this.byNexus.get(nexusId);
    const existing = mine?.get(listId);
    if (existing?.state === 'hashing') {
      throw new SenseError({ key: SenseKey.ILLEGAL_REQUEST, asc: OPERATION_IN_PROGRESS, field: { inCdb: true, byte: CdbField.LIST_IDENTIFIER } });
    }
    if (existing) return undefined;
    const full = (mine?.size ?? 0) >= this.maxPerNexus;
    if (!full && this.total + this.orphans < this.maxPerLu) return undefined;
    // Only a nexus at its own bound gives a list up: one under it may still collect them all.
    const abandoned = full ? [...mine!].find(([, list]) => list.state !== 'hashing') : undefined;
    if (!abandoned) throw new SenseError({ key: SenseKey.ILLEGAL_REQUEST, asc: INSUFFICIENT_RESOURCES });
    return abandoned;
  }

  /** Register a list; call makeRoom first (in the same tick). */
  add(nexusId: string, listId: number, list: ChallengeList): void {
    let mine = this.byNexus.get(nexusId);
    if (!mine) this.byNexus.set(nexusId, (mine = new Map()));
    if (mine.has(listId)) mine.delete(listId);
    else this.total++;
    // Deleted first so a re-sent ID becomes the newest: Map.set alone keeps its old position,
    // and makeRoom would then drop the list just sent as the "oldest".
    mine.set(listId, list);
  }

  get(nexusId: string, listId: number): ChallengeList | undefined {
    return this.byNexus.get(nexusId)?.get(listId);
  }

  /** Remove `list` if it is still the one registered under `listId` (a newer SEND may have replaced it). */
  remove(nexusId: string, listId: number, list: ChallengeList): void {
    const mine = this.byNexus.get(nexusId);
    if (mine?.get(listId) !== list) return;
    mine.delete(listId);
    this.total--;
    if (mine.size === 0) this.byNexus.delete(nexusId);
  }

  /** The nexus is gone: its lists go with it; those still hashing stay counted until settled. */
  forgetNexus(nexusId: string): void {
    const mine = this.byNexus.get(nexusId);
    if (!mine) return;
    this.total -= mine.size;
    this.byNexus.delete(nexusId);
    for (const list of mine.values()) this.orphan(list);
  }

  clear(): void {
    for (const mine of this.byNexus.values()) for (const list of mine.values()) this.orphan(list);
    this.byNexus.clear();
    this.total = 0;
  }

  private orphan(list: ChallengeList): void {
    if (list.state !== 'hashing') return;
    this.orphans++;
    // `settled` never rejects (ChallengeList), so this always runs.
    void list.settled.then(() => this.orphans--);
  }
}

const perLu = new WeakMap<object, ChallengeLists>();

/** The lists of `lu`, created on first use. */
export function challengeListsOf(lu: object): ChallengeLists {
  let lists = perLu.get(lu);
  if (!lists) perLu.set(lu, (lists = new ChallengeLists()));
  return lists;
}

/** For ScsiTarget.nexusLost: drop what `nexusId` left outstanding on `lu`. */
export function forgetChallengeLists(lu: object, nexusId: string): void {
  perLu.get(lu)?.forgetNexus(nexusId);
}
