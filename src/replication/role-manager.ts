/**
 * The role this node plays for one volume, and its changes at run time: a primary runs a ReplicationController
 * (mirroring onto the peer), a backup applies what its primary sends and watches the peer. promote, demote,
 * switchover and resolve move between them, with host writes held while the role flips, and persist the role first.
 */
import { encodeGenerationParameter } from '../replica-protocol/index.js';
import { ReplicationController, type ControllerParts, type ControllerSettings } from './controller.js';
import { diverge, revertToBitmap, formatGeneration } from './generations.js';
import type { PassStagingLog } from './pass-staging-log.js';
import { RecurringFailure } from '../util/recurring-failure.js';
import { SerialQueue } from '../util/serial-queue.js';
import type { SplitBrain } from './replica-binding.js';
import type { ReplicationRole } from './settings.js';
import { SplitBrainArbiter } from './split-brain-arbiter.js';
import type { SplitBrainPolicy } from './split-brain-policy.js';
import { promotePeer, type PromotionOutcome } from './switchover-promotion.js';
import type { VolumeState } from './volume-state.js';

/** A role change that is not allowed now: one line saying why (exit 1 at the CLI). */
export class RoleChangeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RoleChangeError';
  }
}

/** What a role needs: what its controller needs, but for the hooks the role manager itself provides. */
export type RoleParts = Omit<ControllerParts, 'onSplitBrain' | 'onStale'>;

export interface PromoteResult {
  /** When this node last applied a write from its primary (ms since the epoch), if known. */
  newestWriteAt: number | undefined;
  generation: string;
}

export class RoleManager {
  private primary: ReplicationController | undefined;
  /** Bumped at every role change: a write that waited across one is refused. */
  epoch = 0;
  /** A promotion is settling: the old primary's writes are refused already. */
  private promoting = false;
  private watchTimer: NodeJS.Timeout | undefined;
  private staging: PassStagingLog | undefined;
  /** One at a time, each checked once the one before finished: two switchovers at once both passed their checks, and the second, refused by the peer the first promoted, made this node the primary again beside it. */
  private readonly roleChanges = new SerialQueue();
  /** A promotion's new generation and a primary's ADOPT here, one at a time (an ADOPT ran on across a promotion and undid it). */
  readonly generationChanges = new SerialQueue();
  /** The node is shutting down: a role change asked for now is refused. */
  private closing = false;
  /** Role changes running now: hosts see the node's port group transitioning (ALUA). */
  private changing = 0;
  /** A role change began or ended, or the node went stale: the access state hosts see may differ. */
  onAccessChange: (() => void) | undefined;
  /** The automatic policy's decisions, kept consistent with the peer's (and what this node reports of its changes). */
  readonly splitBrain = new SplitBrainArbiter();

  constructor(
    private readonly parts: RoleParts,
    readonly settings: ControllerSettings,
    private splitBrainPolicy: SplitBrainPolicy,
  ) {}

  get role(): ReplicationRole {
    return this.parts.volume.role;
  }

  get controller(): ReplicationController | undefined {
    return this.primary;
  }

  /** The backup's staged-pass log, settled before this node is promoted. */
  attachStaging(staging: PassStagingLog): void {
    this.staging = staging;
  }

  setSplitBrainPolicy(policy: SplitBrainPolicy): void {
    this.splitBrainPolicy = policy;
    this.splitBrain.reset();
  }

  get policy(): SplitBrainPolicy {
    return this.splitBrainPolicy;
  }

  /** A role change runs (promote, demote, switchover, resolve): ALUA transitioning. */
  get transitioning(): boolean {
    return this.changing > 0;
  }

  /** Whether a write from this kind of initiator may change the image now. */
  acceptsWrites(fromReplicator: boolean): boolean {
    if (this.role === 'backup') return fromReplicator && !this.promoting;
    return !fromReplicator && !(this.primary?.fenced ?? false);
  }

  /** Starts the current role at open (a primary's peer is bound already, its resync marked). */
  start(inSync: boolean): void {
    if (this.role === 'primary') this.primary = this.newController(inSync);
    else this.startWatch();
  }

  /** A clean shutdown: a primary ships what is queued first, if its backup answers in time. */
  async close(): Promise<void> {
    // A role change under way ends first: a switchover cut between this node's demotion and
    // the peer's promotion (the link closed under it) left both nodes backups.
    this.closing = true;
    await this.roleChanges.idle();
    this.stopWatch();
    await this.primary?.quiesce();
    await this.primary?.close();
  }

  // ---- role changes -----------------------------------------------------------

  promote(force: boolean): Promise<PromoteResult> {
    const { volume } = this.parts;
    return this.oneAtATime(async () => {
      await this.checkPromote(force);
      await this.becomePrimary(force ? 'forced-promote' : 'promote');
      return { newestWriteAt: volume.newestWriteAt, generation: formatGeneration(volume.generations.current) };
    });
  }

  /** Throws the refusal a promote would meet now, changing nothing (a node of several LUNs asks each first). */
  async checkPromote(force: boolean): Promise<void> {
    const { volume, link } = this.parts;
    if (this.role === 'primary') throw new RoleChangeError('this node is already the primary');
    if (!force) {
      if (volume.resyncFrom !== undefined) {
        throw new RoleChangeError(
          'this node\'s resynchronisation from its peer is unfinished, so its image is older than the peer\'s: let the resync finish, or promote with --force to serve it anyway',
        );
      }
      let peer;
      try {
        peer = await link.peerState();
      } catch (e) {
        throw new RoleChangeError(
          `the peer is unreachable (${(e as Error).message}); \`tandem promote --force\` promotes this node anyway, with the writes it holds up to ${describeTime(volume.newestWriteAt)}`,
        );
      }
      if (peer?.role === 'primary') throw new RoleChangeError('the peer is a reachable primary: run `tandem demote` or `tandem switchover` on it first (or promote with --force to split the pair)');
    }
  }

  /** The peer, demoting itself in a switchover, hands this node the primary role. */
  promoteBySwitchover(sourceCurrent: bigint): Promise<void> {
    const { volume } = this.parts;
    return this.oneAtATime(async () => {
      if (this.role !== 'backup') throw new RoleChangeError('this node is not a backup');
      if (volume.resyncFrom !== undefined || volume.generations.current !== sourceCurrent) {
        throw new RoleChangeError('this node does not hold the peer\'s history whole: no switchover to it now');
      }
      await this.becomePrimary('switchover');
    });
  }

  demote(): Promise<void> {
    return this.oneAtATime(async () => {
      if (this.role !== 'primary') throw new RoleChangeError('this node is not the primary: demote applies to a primary');
      await this.becomeBackup('demote', (g) => revertToBitmap(g));
    });
  }

  /**
   * Planned role swap: host writes are held while everything acknowledged reaches the
   * peer, this node becomes a backup and the peer the primary. Returns how long host
   * writes were held.
   */
  switchover(): Promise<{ heldMs: number }> {
    return this.oneAtATime(() => this.switchoverNow());
  }

  private async switchoverNow(): Promise<{ heldMs: number }> {
    const { volume, link, order, clock, log, binding } = this.parts;
    const controller = this.checkSwitchover();
    // Most of the backlog goes before writes are held, so the hold only covers the last of it.
    await controller.predrain();
    const started = clock();
    let outcome = 'unknown' as PromotionOutcome;
    let detail = '';
    await this.transition(() => order.holding(async () => {
      try {
        await controller.drainToPeer();
      } catch (e) {
        throw new RoleChangeError(`switchover: could not bring the peer up to date (${(e as Error).message}); nothing changed`);
      }
      await controller.close();
      this.primary = undefined;
      // Drained: the peer holds every acknowledged write durably; once this disk does too, no extent may differ.
      await this.parts.local.flush().then(() => this.parts.activity.clear()).catch((e: Error) =>
        log.warn({ event: 'activity-log-kept', error: e.message }, 'switchover: the local flush failed; the activity log keeps its extents for a restart to mark'));
      await this.recordBackupRole((r) => ({ role: 'backup', handingOverTo: r.generations.current }), 'switchover');
      this.epoch++;
      const parameter = encodeGenerationParameter(volume.generations.current);
      ({ outcome, detail } = await promotePeer(link, { parameter, confirmMs: this.settings.promotionConfirmMs, givingUp: () => this.closing }));
      if (outcome === 'refused') {
        // Nothing changed on the peer: this node stays the primary, with the peer in sync.
        await volume.update(() => ({ role: 'primary', handingOverTo: undefined }));
        this.epoch++;
        this.primary = this.newController(true);
      }
    }));
    const heldMs = clock() - started;
    // The peer confirmed: the hand-over is over. Written after the hold, so host writes do not wait for this sync.
    if (outcome === 'promoted' || outcome === 'peer-promoted') await volume.update(() => ({ handingOverTo: undefined }));
    if (outcome !== 'refused') binding.reset();
    if (outcome === 'refused') throw new RoleChangeError(`switchover refused by the peer (${detail}); this node stays the primary`);
    this.startWatch();
    log.info({ event: 'role-change', from: 'primary', to: 'backup', reason: 'switchover', heldMs, peerPromoted: outcome !== 'unknown', promotedBy: outcome === 'peer-promoted' ? 'peer' : 'switchover' }, 'switchover: this node is now a backup');
    if (outcome === 'unknown') {
      throw new RoleChangeError(
        `switchover: this node is now a backup, but the peer did not confirm its promotion (${detail}): this node asks it again at every tick until it answers; \`tandem promote\` there does it now (host writes were held ${heldMs} ms)`,
      );
    }
    return { heldMs };
  }

  /** Throws the refusal a switchover would meet before it starts; the controller it would drain. */
  checkSwitchover(): ReplicationController {
    const controller = this.primary;
    const { binding } = this.parts;
    if (this.role !== 'primary' || !controller) throw new RoleChangeError('this node is not the primary: switchover runs on the primary');
    if (controller.fenced) throw new RoleChangeError('this node is a stale primary: run `tandem demote` here instead');
    if (!binding.bound) throw new RoleChangeError(`the peer is not following this node (${binding.state.error ?? binding.state.state}): no switchover now`);
    return controller;
  }

  /** A node in split brain gives up its changes since the common generation and resynchronises from the peer. */
  resolveDiscardLocal(): Promise<{ discardedBytes: number }> {
    const { binding, table, log } = this.parts;
    return this.oneAtATime(async () => {
      if (binding.state.state !== 'split-brain') throw new RoleChangeError('this node is not in split brain: nothing to resolve');
      const discardedBytes = table.dirtyBytes;
      if (this.role === 'primary') await this.becomeBackup('resolve', (g) => revertToBitmap(g));
      log.warn({ event: 'split-brain-resolved', discardedBytes }, 'split brain resolved here: this node\'s changes since the common generation will be overwritten from the peer');
      return { discardedBytes };
    });
  }

  /** The binding found a split brain (`again`: it still holds): log it, and let the automatic policy pick a side if it can. */
  onSplitBrain(sb: SplitBrain, again = false): void {
    const { table, volume, clock, log } = this.parts;
    const self = { changedBytes: table.dirtyBytes, since: volume.generations.since, current: volume.generations.current };
    this.splitBrain.found(this.splitBrainPolicy, self, sb, again, { at: clock(), log, giveWay: () => this.resolveDiscardLocal() });
  }

  /**
   * This primary found its peer ahead. With discard-zero-changes and nothing changed here
   * since the common generation, giving way loses nothing: it demotes itself. Otherwise it
   * stays fenced until `tandem demote`.
   */
  onStale(): void {
    const { table, log } = this.parts;
    // The node is fenced now: its port group becomes unavailable.
    this.onAccessChange?.();
    if (this.splitBrainPolicy !== 'discard-zero-changes' || table.dirtyChunks > 0) return;
    log.warn({ event: 'stale-primary-demoted', policy: this.splitBrainPolicy }, 'stale primary with no changes of its own: demoting itself (afterSplitBrain discard-zero-changes)');
    this.demote().catch((e: unknown) => log.error({ event: 'stale-demote-failed', error: (e as Error).message }, 'automatic demotion of a stale primary failed'));
  }

  // ---- internals ----------------------------------------------------------------

  /** Runs `change` after those asked for before it; one asked for once the shutdown began is refused. */
  private oneAtATime<T>(change: () => Promise<T>): Promise<T> {
    if (this.closing) return Promise.reject(new RoleChangeError('this node is shutting down'));
    return this.roleChanges.run(change);
  }

  /** Runs a role change with the port group transitioning, and tells the listener at both ends. */
  private async transition<T>(work: () => Promise<T>): Promise<T> {
    this.changing++;
    this.onAccessChange?.();
    try {
      return await work();
    } finally {
      this.changing--;
      this.onAccessChange?.();
    }
  }

  private becomePrimary(reason: string): Promise<void> {
    return this.transition(() => this.promoteNow(reason));
  }

  private async promoteNow(reason: string): Promise<void> {
    const { volume, order, clock, log } = this.parts;
    this.promoting = true;
    try {
      // A committed pass is part of the image; an open one never reaches it.
      await this.staging?.settle();
      await this.generationChanges.run(() => order.holding(async () => {
        await volume.update((r) => ({ role: 'primary', generations: diverge(r.generations, clock()), resyncFrom: undefined, handingOverTo: undefined }));
        this.epoch++;
      }));
    } finally {
      this.promoting = false;
    }
    this.stopWatch();
    // A switchover's peer drained everything to this node: mirror continuously at once, no catch-up to wait for.
    const inSync = reason === 'switchover';
    this.primary = this.newController(inSync);
    if (inSync) await this.primary.bindNow();
    const g = volume.generations;
    log.info({ event: 'role-change', from: 'backup', to: 'primary', reason, generation: formatGeneration(g.current), bitmap: formatGeneration(g.bitmap) }, `promoted (${reason})`);
  }

  private becomeBackup(reason: string, generations: (g: VolumeState['generations']) => VolumeState['generations']): Promise<void> {
    return this.transition(() => this.demoteNow(reason, generations));
  }

  private async demoteNow(reason: string, generations: (g: VolumeState['generations']) => VolumeState['generations']): Promise<void> {
    const { volume, order, log } = this.parts;
    const controller = this.primary;
    await order.holding(async () => {
      await controller?.stop(reason);
      this.primary = undefined;
      await this.recordBackupRole((r) => ({ role: 'backup', generations: generations(r.generations) }), reason);
      this.epoch++;
    });
    this.parts.binding.reset();
    this.startWatch();
    log.info({ event: 'role-change', from: 'primary', to: 'backup', reason, generation: formatGeneration(volume.generations.current), dirtyChunks: this.parts.table.dirtyChunks }, `demoted (${reason})`);
  }

  /** Persists the backup role, the engine stopped; failing, this node stays the primary with an engine again (delta tracking marks every write), not one nothing tracks. */
  private recordBackupRole(change: Parameters<VolumeState['update']>[0], what: string): Promise<void> {
    return this.parts.volume.update(change).catch((e: Error) => {
      this.primary = this.newController(false);
      throw new RoleChangeError(`${what}: could not record the backup role (${e.message}); this node stays the primary`);
    });
  }

  private newController(inSync: boolean): ReplicationController {
    const { table } = this.parts;
    return new ReplicationController(
      { ...this.parts, onSplitBrain: (sb, again) => this.onSplitBrain(sb, again), onStale: () => this.onStale() },
      { ...this.settings, startInDelta: !inSync || table.dirtyChunks > 0 },
    );
  }

  /** A backup reads its peer's state every tick: status shows it, promote checks it afresh. */
  private startWatch(): void {
    if (this.watchTimer || this.settings.tickMs <= 0) return;
    const failures = new RecurringFailure(this.parts.log, 'watch-failed', 'backup bookkeeping');
    this.watchTimer = setInterval(() => void failures.run(() => this.watch()), this.settings.tickMs);
    this.watchTimer.unref();
  }

  private stopWatch(): void {
    if (this.watchTimer) clearInterval(this.watchTimer);
    this.watchTimer = undefined;
  }

  /** One look at the peer (tests call it with tickMs 0), and the backup's own bookkeeping. */
  async watch(): Promise<void> {
    await this.parts.binding.observe();
    await this.onWatch?.();
    if (this.parts.volume.handingOverTo !== undefined && !this.closing) await this.oneAtATime(() => this.finishHandOver());
  }

  /**
   * A switchover left this node a backup without the peer confirming its promotion (the link
   * cut for longer than the switchover asked, this node killed or stopped meanwhile): asked
   * again at each look. A peer that is a primary took over; one still a backup on the
   * generation this node handed over is sent PROMOTE; one that refuses it (it moved on) ends
   * the hand-over, leaving the choice to an admin.
   */
  private async finishHandOver(): Promise<void> {
    const { volume, binding, link, log } = this.parts;
    const to = volume.handingOverTo;
    if (to === undefined || this.role !== 'backup' || binding.peerError !== undefined) return;
    let outcome: PromotionOutcome = 'peer-promoted';
    if (binding.peer?.role !== 'primary') {
      ({ outcome } = await promotePeer(link, { parameter: encodeGenerationParameter(to), confirmMs: 0, givingUp: () => true }));
    }
    if (outcome === 'unknown') return;
    await volume.update(() => ({ handingOverTo: undefined }));
    if (outcome === 'refused') log.warn({ event: 'hand-over-abandoned', generation: formatGeneration(to) }, 'the peer refused to take over from this node\'s switchover: both nodes are backups until `tandem promote` runs on one');
    else log.info({ event: 'hand-over-finished', promotedBy: outcome === 'promoted' ? 'this node' : 'peer' }, 'the peer took over from this node\'s switchover');
  }

  /** Run at every watch tick of a backup (the newest applied write, persisted at most once a tick). */
  onWatch: (() => Promise<void>) | undefined;

}

function describeTime(ms: number | undefined): string {
  return ms === undefined ? 'an unknown time (none recorded)' : new Date(ms).toISOString();
}
