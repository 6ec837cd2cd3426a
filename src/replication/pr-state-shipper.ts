/**
 * Keeps the persistent-reservation state of a replicated LU the same on both nodes: hosts see
 * one LU through both, and a cluster's registrations and reservation must survive a failover.
 * Each change made through this node is numbered (above anything either node held, and not
 * below the clock, so a restarted node's first change still wins) and sent whole to the peer
 * (REPLICATION CONTROL / PR STATE); the peer keeps the higher number. A look at the peer's C1h
 * each tick sends the state again to a peer that holds an older one (it restarted, or was away).
 * Two changes made through both nodes within one round trip: the later number wins whole.
 * The state goes only to a peer that reports this node's volume: a --peer that leads to
 * another pair's node (a wrong address, a node being replaced) must not overwrite that
 * pair's reservations, nor the volume tag by which its primary knows its backup.
 */
import { ReplicationAction, encodeSharedPrState, type ReplicationStateReport, type SharedPrState } from '../replica-protocol/index.js';
import type { Logger } from '../util/log.js';
import type { ReplicaLink } from './replica-link.js';

export class PrStateShipper {
  private latest: SharedPrState | undefined;
  /** The newest sequence the peer is known to hold. */
  private peerHolds = 0n;
  private timer: NodeJS.Timeout | undefined;
  private failing = false;
  /** The peer last seen holds another volume (logged once per such spell). */
  private foreignPeer = false;

  constructor(
    private readonly link: ReplicaLink,
    /** This node's volume (a backup takes its primary's at its first sync). */
    private readonly volumeId: () => string,
    private readonly clock: () => number,
    private readonly log: Logger,
    /** This node holds no history yet (a new backup before its first sync). */
    private readonly blank: () => boolean = () => false,
  ) {}

  /** The sequence of the state this node holds (0: none yet). */
  get sequence(): bigint {
    return this.latest?.sequence ?? 0n;
  }

  /** A change made through this node: numbered, then sent (awaited while the peer answers). */
  async publish(state: Omit<SharedPrState, 'sequence'>): Promise<void> {
    const next = this.sequence + 1n;
    const now = BigInt(Math.floor(this.clock()));
    this.latest = { ...state, sequence: next > now ? next : now };
    // An unreachable peer would hold the host's PR OUT for the link timeout: the tick resends.
    if (this.link.health().up) await this.pushToOurs();
  }

  /** The peer's state: adopted when newer than this node's. */
  offer(state: SharedPrState): boolean {
    if (state.sequence <= this.sequence) return false;
    this.latest = state;
    this.peerHolds = state.sequence;
    return true;
  }

  /** One look at the peer: a peer holding less than this node gets the state again. */
  async tick(): Promise<void> {
    if (this.latest) await this.pushToOurs();
  }

  /** Sends the state to the peer if it holds this volume and an older state. */
  private async pushToOurs(): Promise<void> {
    let peer: ReplicationStateReport | undefined;
    try {
      peer = await this.link.peerState();
    } catch {
      return;
    }
    if (!peer) return;
    const foreign = peer.volumeId !== this.volumeId();
    // A blank backup holds no volume of its own yet: its primary's claim changed its state,
    // and the first sync gives it that primary's volume. Nothing to warn of.
    if (foreign && !this.foreignPeer && !this.blank()) this.log.warn({ event: 'pr-state-not-shipped', peerVolume: peer.volumeId }, 'persistent reservations not sent: the peer holds another volume');
    this.foreignPeer = foreign;
    if (foreign || peer.prSequence >= this.sequence) return;
    this.peerHolds = peer.prSequence;
    await this.push();
  }

  start(tickMs: number): void {
    if (this.timer || tickMs <= 0) return;
    this.timer = setInterval(() => void this.tick(), tickMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private async push(): Promise<void> {
    const state = this.latest;
    if (!state || state.sequence <= this.peerHolds) return;
    try {
      if (!(await this.link.control(ReplicationAction.PR_STATE, encodeSharedPrState(state)))) throw new Error('the peer does not implement REPLICATION CONTROL');
      if (state.sequence > this.peerHolds) this.peerHolds = state.sequence;
      if (this.failing) this.log.info({ event: 'pr-state-shipped', sequence: state.sequence.toString() }, 'persistent reservations in step with the peer again');
      this.failing = false;
    } catch (e) {
      if (!this.failing) this.log.warn({ event: 'pr-state-not-shipped', error: (e as Error).message }, 'persistent reservations not yet on the peer: sent again when it answers');
      this.failing = true;
    }
  }
}
