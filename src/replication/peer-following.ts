/**
 * Whether the peer follows this primary's history, and what follows from it: the binding
 * is checked again whenever the peer may have changed (away, link failed, a pass refused),
 * a resynchronisation is started when the binding asks for one, passes go only onto a peer
 * still following, and the first change made while the peer does not follow starts a new
 * generation (durable before that change is acknowledged), so the histories are told apart
 * when the nodes meet again.
 */
import type { Logger } from '../util/log.js';
import type { DeltaPassResult } from './delta-pass.js';
import { diverge, diverged, formatGeneration } from './generations.js';
import type { FrozenPass, PassProgress, PassRunner, PassTrigger } from './pass-runner.js';
import type { PeerSync } from './peer-sync.js';
import type { RecoveryPointAge } from './recovery-point-age.js';
import type { ReplicaBinding, ResyncPlan, SplitBrain } from './replica-binding.js';
import { ReplicaLinkError } from './replica-link.js';
import type { VolumeState } from './volume-state.js';

export interface PeerFollowingParts {
  volume: VolumeState;
  binding: ReplicaBinding;
  peerSync: PeerSync;
  clock: () => number;
  log: Logger;
  onSplitBrain(splitBrain: SplitBrain, again: boolean): void;
  onStale(): void;
}

export class PeerFollowing {
  private following: boolean;
  private diverging: Promise<void> | undefined;
  /**
   * 'replica-bound' was logged and nothing came of it yet: a peer that answers but fails what
   * follows (its disk full) is bound again at each retry, and that is no news; a pass that
   * completes, or a peer found unreachable, makes the next binding worth a line again.
   */
  private announced = false;

  constructor(
    private readonly parts: PeerFollowingParts,
    private readonly passes: PassRunner,
    private readonly age: RecoveryPointAge,
    /** A resync marked chunks for the passes to copy. */
    private readonly marked: () => void,
  ) {
    this.following = parts.binding.bound;
  }

  /** Whether a change now needs a new generation first (the peer does not follow, none started yet). */
  get mustDiverge(): boolean {
    return !this.following && !diverged(this.parts.volume.generations);
  }

  /**
   * This node's image leaves the history its peer holds: a new generation, durable before
   * the change that causes it is acknowledged (one update however many changes wait).
   */
  diverge(reason: string): Promise<void> {
    const { volume, clock, log } = this.parts;
    if (diverged(volume.generations)) return Promise.resolve();
    this.diverging ??= volume
      .update((r) => ({ generations: diverge(r.generations, clock()) }))
      .then(() => {
        const g = volume.generations;
        log.info({ event: 'generation-change', reason, current: formatGeneration(g.current), bitmap: formatGeneration(g.bitmap) }, 'new generation: this node changes what its peer does not hold');
      })
      .finally(() => (this.diverging = undefined));
    return this.diverging;
  }

  /** The peer stopped answering (or refused): until it is bound again, changes start a new history. */
  lost(reason: string): void {
    this.following = false;
    this.parts.binding.unbind(reason);
  }

  /** The peer was away, or may have changed since the link failed: check it again before sending anything. */
  async rebind(): Promise<void> {
    const { binding, log } = this.parts;
    const before = binding.state.state;
    let result;
    try {
      result = await binding.bind();
    } catch (e) {
      // A foreign replica: refused for good, already logged by the binding.
      log.debug({ err: e }, 'replica refused');
      return;
    }
    if (binding.peerError !== undefined) this.announced = false;
    if (result.kind === 'split-brain') {
      // At every bind, not only the first: the figures the policy compares move while both take writes.
      this.parts.onSplitBrain(result.splitBrain, before === 'split-brain');
      return;
    }
    if (binding.stale && before !== 'stale') this.parts.onStale();
    if (result.kind !== 'bound') return;
    this.following = true;
    if (result.resync) {
      try {
        await this.startResync(result.resync);
      } catch (e) {
        // The peer did not learn it is being resynchronised (BEGIN RESYNC failed: its disk is full):
        // no pass may go before it does, so the next look binds again and asks again. Logged
        // by the failing tick (once while it fails alike), so not bound here: each retry binds.
        this.lost((e as Error).message);
        throw e;
      }
    }
    if (!this.announced) log.info({ event: 'replica-bound', resync: result.resync?.why, generation: this.parts.volume.identity.generation }, 'replica reachable and bound');
    this.announced = true;
  }

  /** Marks what the peer must receive; the next passes compare before they copy. */
  async startResync(plan: ResyncPlan): Promise<void> {
    if (plan.full || plan.peerChanges) this.age.dirtied();
    await this.parts.peerSync.start(plan);
    this.passes.suspect = true;
    this.marked();
  }

  /** Throws unless the peer still follows this node. */
  private async ready(): Promise<void> {
    const { binding } = this.parts;
    if (!(await binding.stillFollowing())) throw new ReplicaLinkError(`the peer no longer follows this node: ${binding.state.error ?? binding.state.state}`);
  }

  /** A pass onto a peer still following this node; a failure makes the next tick check the peer again. */
  async pass(onProgress: PassProgress | undefined, trigger: PassTrigger, frozen?: FrozenPass): Promise<DeltaPassResult & { at: number }> {
    const { peerSync } = this.parts;
    try {
      const result = await this.passes.run((done, total) => {
        peerSync.progress(done, total);
        onProgress?.(done, total);
      }, trigger, () => this.ready(), frozen);
      await peerSync.passed(result);
      this.announced = false;
      return result;
    } catch (e) {
      this.passes.failed(trigger, (e as Error).message);
      this.lost((e as Error).message);
      throw e;
    }
  }
}
