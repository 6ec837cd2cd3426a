/**
 * Whether, and how, this primary may replicate onto its peer. Checked when the link first
 * answers (at open, or later for a peer that was away) and again after every link
 * failure, because the peer may have been promoted meanwhile:
 * - a peer that is not a replicated Tandem LU is bound by its volume tag (a foreign one is
 *   refused, a blank one claimed for a full copy), as before generations existed;
 * - a Tandem peer's generations decide: same history or ahead of it → bound, with the
 *   chunks to resynchronise; behind it → this node is a stale primary and fences itself;
 *   both moved on → split brain; a peer that is itself primary is never written to.
 */
import type { Logger } from '../util/log.js';
import type { ReplicationStateReport } from '../replica-protocol/index.js';
import { relate, type GenerationId, type Generations, type Relation, formatGeneration } from './generations.js';
import { ReplicaLinkError, capacityOf, type ReplicaLink } from './replica-link.js';
import { tagOfVolume } from './volume-tag-pr.js';
import { ReplicaMismatchError, bindReplica } from './volume-identity.js';
import type { VolumeState } from './volume-state.js';

export type BindingStateName =
  /** Replicating. */
  | 'bound'
  /** Not checked since the link last failed (nothing is sent until it is). */
  | 'pending'
  /** Another volume's replica: nothing is ever sent (restart with --start-over to replace it). */
  | 'refused'
  /** The peer is ahead of this primary: no host writes, nothing sent, until `tandem demote`. */
  | 'stale'
  /** Both changed since their common generation: no data moves until resolved. */
  | 'split-brain'
  /** The peer is a primary too (a stale one): nothing is sent until it is demoted. */
  | 'waiting';

export interface ReplicaBindingState {
  state: BindingStateName;
  error?: string | undefined;
}

/** What the peer must receive once bound. */
export interface ResyncPlan {
  why: 'first-sync' | 'start-over' | 'peer-behind' | 'recovery';
  /** Every chunk (the tables do not cover the difference). */
  full: boolean;
  /** The peer's own changes since the common generation (bitmap bits), to overwrite too. */
  peerChanges: Buffer | undefined;
}

export interface SplitBrain {
  common: GenerationId;
  peer: ReplicationStateReport;
}

export type BindResult = { kind: 'bound'; resync: ResyncPlan | undefined } | { kind: 'not-bound' } | { kind: 'split-brain'; splitBrain: SplitBrain };

export const PEER_MAY_HAVE_CHANGED = 'the link reconnected, or the peer restored an image, since it was bound';

export function generationsOf(r: ReplicationStateReport): Generations {
  return { current: r.current, bitmap: r.bitmap, history: r.history, since: r.since };
}

export class ReplicaBinding {
  private binding: ReplicaBindingState = { state: 'pending' };
  /** The peer's state as last read, and when. */
  peer: ReplicationStateReport | undefined;
  peerSeenAt: number | undefined;

  constructor(
    private readonly volume: VolumeState,
    private readonly link: ReplicaLink,
    private readonly startOver: boolean,
    private readonly chunkSize: number,
    /** The local LUN: a replica must be at least its size, in its block size. */
    private readonly local: { size: number; blockSize: number },
    private readonly clock: () => number,
    private readonly log: Logger,
  ) {}

  get state(): ReplicaBindingState {
    return { ...this.binding };
  }

  get bound(): boolean {
    return this.binding.state === 'bound';
  }

  /** The link's count of events that may have changed the peer under it, when last bound or last asked. */
  private peerEventsSeen = 0;
  /** The same count when the peer was last bound. */
  private peerEventsAtBind = 0;

  /**
   * Events behind the link that may have put another image, or another peer, where the
   * bound one was: a restore to a recovery point there (UNIT ATTENTION, MEDIUM MAY HAVE
   * CHANGED), or a new login after a lost connection (the peer may have been restarted, even
   * on a blank replacement disk, within the link's reconnect window).
   */
  private peerEvents(): number {
    const health = this.link.health();
    return (health.imageChanges ?? 0) + (health.reconnects ?? 0);
  }

  /**
   * False, and the binding dropped, when the link reconnected or the peer's image was
   * restored since the peer was bound: it must be bound again before it gets or adopts anything.
   */
  peerUnchangedSinceBind(): boolean {
    if (this.peerEvents() === this.peerEventsAtBind) return true;
    this.unbind(PEER_MAY_HAVE_CHANGED);
    return false;
  }

  /** Why a sampled link is down: it failed, or it is up but the peer may have changed under it (takePeerChange). */
  linkDownReason(): string {
    const health = this.link.health();
    return health.up ? PEER_MAY_HAVE_CHANGED : (health.lastError ?? 'the link is down');
  }

  /**
   * Whether the peer may have changed under the link (peerEvents) since it was bound or
   * since the last call: if so it must be bound again, which reads what it holds now.
   */
  takePeerChange(): boolean {
    const count = this.peerEvents();
    const changed = count !== this.peerEventsSeen;
    this.peerEventsSeen = count;
    return changed;
  }

  /** Whether bind() should run again: anything but bound or refused for good. */
  get unsettled(): boolean {
    return this.binding.state !== 'bound' && this.binding.state !== 'refused';
  }

  get stale(): boolean {
    return this.binding.state === 'stale';
  }

  /** Throws unless the replica may receive data now. */
  requireBound(): void {
    if (!this.bound) throw new ReplicaLinkError(`the replica is not usable yet: ${this.binding.error ?? this.binding.state}`);
  }

  /**
   * Before a pass: is the peer still a backup on our history? Its role can change behind a
   * working link (a forced promotion); then the binding is checked again from scratch.
   */
  async stillFollowing(): Promise<boolean> {
    if (!this.bound) return false;
    if (!this.peerUnchangedSinceBind()) return false;
    // A plain LU (no replication state) was bound by its tag: nothing more to ask it.
    if (this.peer === undefined) return true;
    const known = this.peer;
    const peer = await this.link.peerState();
    this.saw(peer);
    // Only an ADOPT of ours moves a following backup's generation (and it updates `peer`):
    // another one means another image, such as a blank disk put in the bound one's place.
    if (peer && peer.current !== known.current) {
      this.unbind(`the peer changed: its generation is ${formatGeneration(peer.current)}, not ${formatGeneration(known.current)}`);
      return false;
    }
    const relation = peer ? relate(this.volume.generations, generationsOf(peer)).kind : 'unrelated';
    if (peer?.role === 'backup' && (relation === 'same' || relation === 'ahead' || relation === 'peer-blank')) return true;
    this.unbind(`the peer changed: it is ${peer ? `a ${peer.role} (${relation})` : 'no longer replicated'}`);
    return false;
  }

  /** A backup's look at its peer (status, promote): the peer's state, or why it did not answer. */
  async observe(): Promise<void> {
    try {
      this.saw(await this.link.peerState());
    } catch (e) {
      this.peerError = (e as Error).message;
    }
  }

  /** Why the peer did not answer the last look (undefined: it did). */
  peerError: string | undefined;

  /** The peer answered: what it said, and that it is reachable (a node promoted while it was not kept saying so). */
  private saw(peer: ReplicationStateReport | undefined): void {
    this.peer = peer;
    this.peerSeenAt = this.clock();
    this.peerError = undefined;
  }

  /** This node stopped being the primary: whatever the binding found no longer applies. */
  reset(): void {
    this.binding = { state: 'pending' };
  }

  /** The link failed: the peer may have changed role meanwhile, so check again before sending. */
  unbind(reason: string): void {
    if (this.binding.state === 'bound') this.binding = { state: 'pending', error: reason };
  }

  /**
   * Checks the peer. A foreign replica throws ReplicaMismatchError (refused) unless
   * startOver; an unreachable one leaves the binding pending (ReplicaLinkError is kept as
   * its reason); everything else settles into one of the binding states.
   */
  async bind(): Promise<BindResult> {
    // A change reported from here on may postdate what this binding reads: it counts.
    this.peerEventsSeen = this.peerEventsAtBind = this.peerEvents();
    let peer: ReplicationStateReport | undefined;
    try {
      const unfit = await this.unfitReplica();
      if (unfit) {
        if (this.binding.error !== unfit) this.log.warn({ event: 'replica-unfit', error: unfit }, 'the replica cannot hold this LUN: nothing is sent to it');
        this.binding = { state: 'pending', error: unfit };
        return { kind: 'not-bound' };
      }
      peer = await this.link.peerState();
    } catch (e) {
      if (!(e instanceof ReplicaLinkError)) throw e;
      this.binding = { state: 'pending', error: e.message };
      this.peerError = e.message;
      return { kind: 'not-bound' };
    }
    this.saw(peer);
    try {
      return peer ? await this.bindByGenerations(peer) : await this.bindByTag();
    } catch (e) {
      if (e instanceof ReplicaMismatchError) {
        this.refuse(e.message);
        throw e;
      }
      if (e instanceof ReplicaLinkError) {
        this.binding = { state: 'pending', error: e.message };
        return { kind: 'not-bound' };
      }
      throw e;
    }
  }

  /**
   * Why the replica cannot hold this LUN, as it answers now, or undefined. A larger one
   * can (a pair is grown backup first, so replication goes on meanwhile); a smaller one
   * waits, the primary tracking its writes, until the peer is restarted grown.
   */
  private async unfitReplica(): Promise<string | undefined> {
    const { size, blockSize } = await capacityOf(this.link);
    const local = this.local;
    if (blockSize !== local.blockSize) return `the replica has ${blockSize}-byte blocks, this LUN ${local.blockSize}-byte ones: it cannot hold this LUN`;
    if (size < local.size) return `the replica is ${size} bytes, smaller than this LUN (${local.size}): grow it (serve it with size=${local.size}) and it is resynchronised`;
    return undefined;
  }

  /**
   * A peer without replication state (a plain LU): its volume tag says whose it is. A Tandem
   * peer that holds no history (`holdsNothing`) goes by the same rules (it may carry another
   * volume's tag, a plain LU once), but it gets everything copied whatever tags it carries:
   * our tag alone proves nothing there (a disk put in place of the bound one got it back
   * with the PR state the nodes shared, before that state went only to its own volume).
   */
  private async bindByTag(holdsNothing = false): Promise<BindResult> {
    const outcome = await bindReplica(this.volume, this.link, this.startOver, holdsNothing);
    this.binding = { state: 'bound' };
    return { kind: 'bound', resync: outcome === 'needs-full-sync' ? { why: 'first-sync', full: true, peerChanges: undefined } : undefined };
  }

  private async bindByGenerations(peer: ReplicationStateReport): Promise<BindResult> {
    const own = this.volume.identity;
    const ownTag = tagOfVolume(own.volumeId);
    const blank = peer.current === 0n;
    if (!blank && peer.volumeId !== own.volumeId) {
      if (!this.startOver) throw new ReplicaMismatchError(ownTag, [tagOfVolume(peer.volumeId)], formatGeneration(peer.current));
      return this.takeOver();
    }
    if (blank) return this.bindByTag(true);
    const tags = await this.link.readTags();
    if (!tags.includes(ownTag)) await this.link.claim(ownTag, []);
    const relation = relate(this.volume.generations, generationsOf(peer));
    return this.settle(relation, peer);
  }

  private async takeOver(): Promise<BindResult> {
    const tags = await this.link.readTags();
    const own = tagOfVolume(this.volume.identity.volumeId);
    await this.link.claim(own, tags.filter((t) => t !== own));
    await this.volume.update((r) => ({ generation: r.generation + 1, replicaSynced: false }));
    this.binding = { state: 'bound' };
    return { kind: 'bound', resync: { why: 'start-over', full: true, peerChanges: undefined } };
  }

  private async settle(relation: Relation, peer: ReplicationStateReport): Promise<BindResult> {
    const self = this.volume.generations;
    switch (relation.kind) {
      case 'same':
      case 'ahead': {
        if (peer.role === 'primary') {
          this.wait(`the peer is a primary too (${relation.kind === 'ahead' ? 'a stale one' : 'of the same history'}): nothing is sent until it is demoted (tandem demote on the peer)`);
          return { kind: 'not-bound' };
        }
        const common = relation.kind === 'same' ? self.current : relation.common;
        const covered = relation.kind === 'same' || relation.covered;
        const peerChanges = covered ? await this.peerChangesSince(common, peer) : undefined;
        this.binding = { state: 'bound' };
        const full = !covered || peerChanges === null;
        const changes = peerChanges ?? undefined;
        if (relation.kind === 'same' && !changes && !full) return { kind: 'bound', resync: undefined };
        return { kind: 'bound', resync: { why: relation.kind === 'same' ? 'recovery' : 'peer-behind', full, peerChanges: changes } };
      }
      case 'peer-blank':
        return this.bindByTag(true);
      case 'behind': {
        const message =
          `the peer (primary, generation ${formatGeneration(peer.current)}) is ahead of this node: it was promoted while this node was away. ` +
          'This node accepts no host writes and sends nothing; run `tandem demote` here to resynchronise it from the peer';
        if (this.binding.state !== 'stale') this.log.error({ event: 'stale-primary', peerGeneration: formatGeneration(peer.current), ownGeneration: formatGeneration(self.current) }, message);
        this.binding = { state: 'stale', error: message };
        return { kind: 'not-bound' };
      }
      case 'split-brain': {
        const message = `split brain: both nodes changed since generation ${formatGeneration(relation.common)}; no data moves until \`tandem resolve --discard-local\` runs on one of them`;
        this.binding = { state: 'split-brain', error: message };
        return { kind: 'split-brain', splitBrain: { common: relation.common, peer } };
      }
      case 'self-blank':
      case 'unrelated':
        this.refuse(`the peer's history has nothing in common with this node's (volume ${peer.volumeId}): refusing to replicate onto it; restart with --start-over to overwrite it`);
        return { kind: 'not-bound' };
    }
  }

  /**
   * The peer's changes since `common`: undefined when it has none, null when its map is not
   * relative to `common` (or of another chunk size), so only a full comparison is safe.
   */
  private async peerChangesSince(common: GenerationId, peer: ReplicationStateReport): Promise<Buffer | undefined | null> {
    if (peer.changedBytes === 0) return undefined;
    if (peer.bitmap !== common || peer.chunkSize !== this.chunkSize) return null;
    // Only this volume's chunks: the peer's own claim of its map's size sizes nothing here.
    const map = await this.link.readChangeMap(Math.ceil(this.local.size / this.chunkSize));
    if (map.base !== common || map.chunkSize !== this.chunkSize) return null;
    return map.bits;
  }

  private wait(message: string): void {
    if (this.binding.state !== 'waiting') this.log.warn({ event: 'peer-not-backup' }, message);
    this.binding = { state: 'waiting', error: message };
  }

  private refuse(message: string): void {
    this.binding = { state: 'refused', error: message };
    this.log.error({ event: 'replica-refused', error: message }, 'replica refused');
  }
}

