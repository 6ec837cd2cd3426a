/**
 * Bringing the peer onto this primary's history: a resynchronisation starts by marking
 * what must move (our changes are already marked; the peer's own changes since the common
 * generation, or everything when the tables do not cover the difference), tells the peer
 * it is being resynchronised, and ends after the first complete pass, when the peer
 * adopts our generations and device identity. Progress (bytes left, rate) feeds status.
 */
import type { Logger } from '../util/log.js';
import { ReplicationAction, encodeAdoptParameters, encodeGenerationParameter } from '../replica-protocol/index.js';
import type { DeltaPassResult } from './delta-pass.js';
import { chunksOfBits, type DeltaTable } from './delta-table.js';
import { diverged, peerFollows, formatGeneration } from './generations.js';
import { PEER_MAY_HAVE_CHANGED, type ReplicaBinding, type ResyncPlan } from './replica-binding.js';
import { ReplicaLinkError, type ReplicaLink } from './replica-link.js';
import type { VolumeState } from './volume-state.js';

export interface ResyncStatus {
  why: ResyncPlan['why'];
  startedAt: number;
  bytesSent: number;
  /** Bytes still marked (an upper bound: compared chunks that match are not sent). */
  bytesLeft: number;
  /** Seconds to go at the rate so far; undefined before the first progress. */
  etaSeconds: number | undefined;
}

export class PeerSync {
  private resync: { why: ResyncPlan['why']; startedAt: number; bytesSent: number } | undefined;
  private passChunks = { done: 0, total: 0 };
  private rateBytesPerMs: number | undefined;

  constructor(
    private readonly volume: VolumeState,
    private readonly link: ReplicaLink,
    private readonly table: DeltaTable,
    private readonly binding: ReplicaBinding,
    private readonly clock: () => number,
    private readonly log: Logger,
  ) {}

  get active(): boolean {
    return this.resync !== undefined;
  }

  /** Marks what `plan` says must move; the next pass compares before it copies. */
  async start(plan: ResyncPlan): Promise<void> {
    // Nothing differs (the peer holds this node's image whole: a switchover): it only takes our history.
    if (!plan.full && !plan.peerChanges && this.table.dirtyChunks === 0) {
      await this.adoptIfNeeded();
      return;
    }
    if (plan.full) await this.table.markAll();
    else if (plan.peerChanges) await this.table.markChunks(chunksOfBits(plan.peerChanges, this.table.chunkCount));
    const peer = this.binding.peer;
    // A Tandem peer that will adopt our history refuses a plain promote until it has.
    if (peer && peer.current !== this.volume.generations.current) {
      await this.link.control(ReplicationAction.BEGIN_RESYNC, encodeGenerationParameter(this.volume.generations.current));
    }
    this.resync = { why: plan.why, startedAt: this.clock(), bytesSent: 0 };
    this.passChunks = { done: 0, total: 0 };
    this.log.info(
      { event: 'resync-start', why: plan.why, full: plan.full, dirtyChunks: this.table.dirtyChunks, bytes: this.table.dirtyBytes, peerGeneration: (peer ? formatGeneration(peer.current) : undefined), ownGeneration: formatGeneration(this.volume.generations.current) },
      'resynchronisation started',
    );
  }

  /** A pass's progress (chunks of the pass done / in it). */
  progress(done: number, total: number): void {
    this.passChunks = { done, total };
  }

  /** After a complete pass: the peer holds our history (minus chunks marked since), so it adopts it. */
  async passed(result: DeltaPassResult): Promise<void> {
    if (result.durationMs > 0 && result.chunks > 0) this.rateBytesPerMs = (result.chunks * this.table.chunkSize) / result.durationMs;
    this.passChunks = { done: 0, total: 0 };
    await this.adoptIfNeeded();
    if (this.resync) {
      this.resync.bytesSent += result.bytesSent;
      this.log.info({ event: 'resync-end', why: this.resync.why, bytesSent: this.resync.bytesSent, durationMs: this.clock() - this.resync.startedAt, dirtyAfter: this.table.dirtyChunks }, 'resynchronisation done');
      this.resync = undefined;
    }
  }

  /** The peer holds our history (after a complete pass, or a drain): it takes our generations and identity. */
  async adoptIfNeeded(): Promise<void> {
    const peer = this.binding.peer;
    const own = this.volume.generations;
    if (!peer) return;
    if (peer.current === own.current) {
      // It adopted already, the answer lost with a dropped connection: it holds our history,
      // so we follow again (else the next link loss would start no new history of its own).
      if (diverged(own)) await this.volume.update((r) => ({ generations: peerFollows(r.generations) }));
      return;
    }
    // What the pass wrote may have gone to another image than the one bound (a replacement
    // disk behind a reconnect): it adopts nothing until it is bound again.
    if (!this.binding.peerUnchangedSinceBind()) throw new ReplicaLinkError(`the peer adopts nothing: ${PEER_MAY_HAVE_CHANGED}`);
    const device = this.volume.device;
    if (!device) throw new Error('a primary without a device identity cannot hand its history to its peer');
    const adopted = await this.link.control(
      ReplicationAction.ADOPT,
      encodeAdoptParameters({ volumeId: this.volume.identity.volumeId, startOver: this.volume.identity.generation, current: own.current, since: own.since, history: [...own.history], device }),
    );
    if (adopted) this.binding.peer = { ...peer, current: own.current, bitmap: own.current, history: [...own.history], resyncing: false, changedBytes: 0 };
    await this.volume.update((r) => ({ generations: peerFollows(r.generations) }));
    this.log.info({ event: 'generation-change', reason: 'peer-adopted', current: formatGeneration(own.current) }, 'the peer now holds this node\'s history');
  }

  status(): ResyncStatus | undefined {
    if (!this.resync) return undefined;
    const bytesLeft = Math.max(0, this.table.dirtyBytes - this.passChunks.done * this.table.chunkSize);
    return {
      why: this.resync.why,
      startedAt: this.resync.startedAt,
      bytesSent: this.resync.bytesSent,
      bytesLeft,
      etaSeconds: this.rateBytesPerMs ? Math.ceil(bytesLeft / this.rateBytesPerMs / 1000) : undefined,
    };
  }
}
