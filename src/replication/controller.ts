/**
 * The replication state machine of one volume: which write path host changes take
 * (continuous sync or async, or delta tracking), the health/criteria ticks that leave
 * continuous mirroring, the catch-up passes that return to it, and the admin actions.
 * The engine never fails a host write because of the backup: it falls back to delta.
 */
import type { BlockDevice } from '../block/device.js';
import type { DurableFiles } from '../block/durable-file.js';
import { InflightCounter } from '../util/inflight-counter.js';
import type { Logger } from '../util/log.js';
import { SerialQueue } from '../util/serial-queue.js';
import { AsyncMirror } from './async-mirror.js';
import { BoundedPing } from './bounded-ping.js';
import type { DeltaPassResult } from './delta-pass.js';
import type { DeltaTable } from './delta-table.js';
import { DeltaTracking } from './delta-tracking.js';
import type { HostOp } from './host-op.js';
import type { HostWriteOrder } from './host-write-order.js';
import { JournalShipper } from './journal-shipper.js';
import { PassRunner, type PassProgress, type PassTrigger } from './pass-runner.js';
import { RateMeter } from './rate-meter.js';
import { RecoveryPointAge } from './recovery-point-age.js';
import { diverge, diverged } from './generations.js';
import type { PeerSync } from './peer-sync.js';
import type { ReplicaBinding, ResyncPlan, SplitBrain } from './replica-binding.js';
import type { VolumeState } from './volume-state.js';
import { ReplicaLinkError, type ReplicaLink } from './replica-link.js';
import type { JournalEntry, StagingJournal } from './staging-journal.js';
import type { ContinuousFlavour, MirrorState, PrimaryStatus, ReplicationMode, SwitchRecord } from './status.js';
import { DEFAULT_THRESHOLDS, autoTrip, linkHealthy, linkTrip, type ReplicationFigures, type SwitchReason, type SwitchThresholds } from './switch-criteria.js';
import { SyncMirror } from './sync-mirror.js';

/** How long a tick waits for its ping before judging on the health it has (see BoundedPing). */
const PING_WAIT_MS = 250;
/** A switchover's predrain stops once the journal holds this few entries (the hold drains the rest). */
const PREDRAIN_LEFT = 8;

export interface ControllerParts {
  local: BlockDevice;
  link: ReplicaLink;
  metaDir: string;
  files: DurableFiles;
  journal: StagingJournal;
  table: DeltaTable;
  order: HostWriteOrder;
  volume: VolumeState;
  binding: ReplicaBinding;
  peerSync: PeerSync;
  clock: () => number;
  log: Logger;
  /** The binding found a split brain (the volume applies its policy). */
  onSplitBrain(splitBrain: SplitBrain): void;
  /** The binding found this primary stale: its peer is ahead (the volume may apply its policy). */
  onStale(): void;
}

export interface ControllerSettings {
  mode: ReplicationMode;
  flavour: ContinuousFlavour;
  thresholds: Partial<SwitchThresholds> | undefined;
  deltaIntervalMs: number;
  /** Start in delta state, and challenge before the first pass copies (the replica may differ). */
  startInDelta: boolean;
  /** ms between health/criteria ticks; 0 = no timer (tests call tick()). */
  tickMs: number;
}

export class ReplicationController {
  private state: MirrorState;
  private mode: ReplicationMode;
  private flavour: ContinuousFlavour;
  private readonly thresholds: SwitchThresholds;
  private deltaIntervalMs: number;
  private paused = false;
  private closed = false;
  private ticking = false;
  private healthySince: number | undefined;
  private lowTrafficSince: number | undefined;
  private lastSwitch: SwitchRecord | undefined;
  private switching: Promise<void> | undefined;
  /** Set while a switch folds journal entries: delta-path changes wait (a restart would replay those entries over them). */
  private folding: Promise<void> | undefined;
  /** Passes, catch-up and late binding run one at a time. */
  private readonly queue = new SerialQueue();
  /** Host changes on a continuous path: the switch to delta waits for them. */
  private readonly continuousInflight = new InflightCounter();
  /** Every host write, whatever the state (delta mode's low-traffic passes). */
  private readonly hostWrites = new RateMeter();
  private readonly age: RecoveryPointAge;
  private readonly delta: DeltaTracking;
  private readonly sync: SyncMirror;
  private readonly async: AsyncMirror;
  private readonly shipper: JournalShipper;
  private readonly passes: PassRunner;
  private readonly timer: NodeJS.Timeout | undefined;
  private readonly ping: BoundedPing;
  /**
   * The peer follows this node's history (bound, link working): changes it lacks are
   * shipped or marked for the next pass. Otherwise the first change starts a new
   * generation, so the histories are told apart when the nodes meet again.
   */
  private following: boolean;
  private diverging: Promise<void> | undefined;

  constructor(
    private readonly parts: ControllerParts,
    settings: ControllerSettings,
  ) {
    const { local, link, journal, table, clock } = parts;
    this.mode = settings.mode;
    this.flavour = settings.flavour;
    this.thresholds = { ...DEFAULT_THRESHOLDS, ...settings.thresholds };
    this.deltaIntervalMs = settings.deltaIntervalMs;
    this.state = this.mode === 'delta' || settings.startInDelta ? 'delta' : 'continuous';
    this.age = new RecoveryPointAge(clock, table.dirtyChunks > 0);
    this.following = parts.binding.bound;
    const linkFailed = (detail: string) => this.fallBack('link-failed', detail);
    this.delta = new DeltaTracking(local, table, this.age);
    // A synchronous write the backup missed is acknowledged all the same: a new history first.
    this.sync = new SyncMirror(local, link, table, (detail) => {
      linkFailed(detail);
      return this.ensureDiverged('unreplicated-write');
    });
    this.async = new AsyncMirror(local, journal, table.chunkSize, clock, {
      whenFull: (op) => {
        this.fallBack('journal-full');
        return this.delta.apply(op);
      },
      appended: (fill) => {
        if (this.mode === 'auto' && fill > this.thresholds.maxJournalFill) this.fallBack('journal-nearly-full');
      },
      shippable: () => this.shipper.kick(),
    });
    const shipping = () => this.state === 'continuous' && this.flavour === 'async' && !this.closed;
    this.shipper = new JournalShipper(this.async, journal, link, local, shipping, () => this.state === 'continuous', linkFailed);
    this.passes = new PassRunner({ ...parts, age: this.age }, settings.startInDelta);
    this.ping = new BoundedPing(link, PING_WAIT_MS);
    if (settings.tickMs > 0) {
      this.timer = setInterval(() => void this.tick(), settings.tickMs);
      this.timer.unref();
    }
  }

  get currentState(): MirrorState {
    return this.state;
  }

  /** A host change of the image, already ordered by the facade: the current state's write path carries it. */
  apply(op: HostOp): Promise<void> {
    if (op.data) this.hostWrites.add(op.data.length);
    // A change the journal cannot hold leaves continuous mirroring here, to wait for the fold like any delta change.
    if (this.state === 'continuous' && this.flavour === 'async' && !this.parts.journal.fits(op.data?.length ?? 0)) this.fallBack('journal-full');
    if (this.state !== 'continuous') {
      const delta = () => (this.following || diverged(this.parts.volume.generations) ? this.delta.apply(op) : this.ensureDiverged('peer-away').then(() => this.delta.apply(op)));
      return this.folding ? this.folding.then(delta) : delta();
    }
    return this.continuousInflight.track(() => (this.flavour === 'sync' ? this.sync.apply(op) : this.async.apply(op)));
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    await this.queue.idle();
    await this.shipper.idle();
    await this.switching?.catch(() => undefined);
  }

  /** Leaving the primary role: the journal folds into the delta table (what the peer may lack stays marked), then everything stops. */
  async stop(reason: string): Promise<void> {
    await this.switchToDelta('admin', reason);
    await this.close();
  }

  /**
   * Before a switchover holds host writes: ship what is queued (continuous async) or run a
   * pass (delta), so the hold only has the last of the backlog to drain. Bounded; failures
   * are left to the drain under the hold, which reports them.
   */
  async predrain(maxMs = 5_000): Promise<void> {
    const { journal, table } = this.parts;
    const deadline = Date.now() + maxMs;
    while (this.state === 'continuous' && this.flavour === 'async' && journal.length > PREDRAIN_LEFT && Date.now() < deadline) {
      this.shipper.kick();
      await this.shipper.idle();
      await new Promise((r) => setImmediate(r));
    }
    if (this.state !== 'continuous' && table.dirtyChunks > 0 && this.parts.binding.bound) await this.queue.run(() => this.pass(undefined, 'catch-up')).catch(() => undefined);
  }

  /**
   * Switchover, with host writes held: everything acknowledged reaches the peer, which then
   * holds this node's history whole. Throws when that cannot be done.
   */
  async drainToPeer(): Promise<void> {
    const { binding, journal, table, peerSync, link } = this.parts;
    binding.requireBound();
    // Continuous asynchronous mirroring: the shipper sends what is journalled.
    while (this.state === 'continuous' && this.flavour === 'async' && journal.length > 0) {
      this.shipper.kick();
      await this.shipper.idle();
      if (journal.length > 0 && this.state === 'continuous' && this.async.nextBatch().length === 0) throw new Error('journal entries not yet applied locally');
    }
    await this.switching;
    if (this.state !== 'continuous' || table.dirtyChunks > 0) await this.queue.run(() => this.pass(undefined, 'final'));
    if (table.dirtyChunks > 0) throw new Error(`${table.dirtyChunks} chunks still differ after the final pass`);
    await peerSync.adoptIfNeeded();
    await link.flush();
  }

  /** Whether host writes would be refused: a stale primary accepts none. */
  get fenced(): boolean {
    return this.parts.binding.stale;
  }

  /**
   * This node's image leaves the history its peer holds: a new generation, durable before
   * the change that causes it is acknowledged (one update however many changes wait).
   */
  private ensureDiverged(reason: string): Promise<void> {
    const { volume, clock, log } = this.parts;
    if (diverged(volume.generations)) return Promise.resolve();
    this.diverging ??= volume
      .update((r) => ({ generations: diverge(r.generations, clock()) }))
      .then(() => {
        const g = volume.generations;
        log.info({ event: 'generation-change', reason, current: g.current.toString(16), bitmap: g.bitmap.toString(16) }, 'new generation: this node changes what its peer does not hold');
      })
      .finally(() => (this.diverging = undefined));
    return this.diverging;
  }

  // ---- leaving continuous mirroring --------------------------------------

  /** Continuous → delta: fold the journal into the delta table. One event with the figures. */
  switchToDelta(reason: SwitchReason, detail?: string): Promise<void> {
    if (this.state !== 'continuous' || this.closed) return this.switching ?? Promise.resolve();
    const run = this.foldIntoDelta(reason, detail).finally(() => {
      if (this.switching === run) this.switching = undefined;
    });
    this.switching = run;
    return run;
  }

  /** A switch started from the I/O path: its failure is logged, never thrown at a host write. */
  private fallBack(reason: SwitchReason, detail?: string): void {
    if (reason === 'link-failed') this.peerLost(detail ?? reason);
    this.switchToDelta(reason, detail).catch((e: unknown) => this.parts.log.error({ event: 'switch-failed', reason, error: (e as Error).message }, 'switch to delta failed'));
  }

  private async foldIntoDelta(reason: SwitchReason, detail: string | undefined): Promise<void> {
    const { journal, table } = this.parts;
    const from = this.state;
    const figures = this.figures(undefined);
    const at = this.parts.clock();
    this.state = 'delta';
    // Status must never show the new state with the previous switch's reason.
    this.lastSwitch = { at, from, to: 'delta', reason };
    // A switch for a journal reason leaves the link healthy: its healthy time starts now.
    const linkReason = reason === 'link-failed' || reason === 'rtt-high' || reason === 'write-latency-high';
    this.healthySince = linkReason ? undefined : this.parts.clock();
    let folded: (() => void) | undefined;
    if (journal.length > 0) this.folding = new Promise((resolve) => (folded = resolve));
    let pending: JournalEntry[];
    try {
      await this.continuousInflight.idle();
      pending = journal.pending();
      for (const e of pending) table.mark(e.offset, e.length);
      await table.persist();
      // Until now the journal kept these writes durable (FUA ones included), not the image.
      if (pending.length > 0) await this.parts.local.flush();
      await journal.trimThrough(journal.lastSeq);
    } finally {
      this.folding = undefined;
      folded?.();
    }
    // A batch in flight may still reach the backup: its entries are marked, the next pass sends them again.
    await this.shipper.idle();
    this.age.folded(this.async.folded(), table.dirtyChunks > 0);
    this.recordSwitch(from, 'delta', reason, { detail, foldedEntries: pending.length }, figures, at);
  }

  // ---- admin --------------------------------------------------------------

  async setMode(mode: ReplicationMode, flavour?: ContinuousFlavour): Promise<void> {
    this.mode = mode;
    if (flavour && flavour !== this.flavour) {
      if (this.state === 'continuous') await this.switchToDelta('admin', `flavour ${flavour}`);
      this.flavour = flavour;
    }
    if (mode === 'delta') await this.switchToDelta('admin', 'mode delta');
  }

  /**
   * Stop sending to the backup. Continuous mirroring folds into the delta table; no pass
   * runs and continuous does not resume until resume() (an explicit replicateNow still runs).
   */
  async pause(): Promise<void> {
    this.paused = true;
    await this.switchToDelta('admin', 'paused');
  }

  /** Undo pause(); the usual tick rules (interval passes, healthy link → continuous) apply again. */
  resume(): void {
    this.paused = false;
    this.healthySince = undefined;
  }

  /** Change one switching threshold or the delta interval at run time (not persisted here). */
  setThreshold(key: keyof SwitchThresholds | 'deltaIntervalMs', value: number): void {
    if (!Number.isFinite(value) || value < 0) throw new RangeError(`${key} must be a non-negative number, not ${value}`);
    if (key === 'deltaIntervalMs') this.deltaIntervalMs = value;
    else if (key in this.thresholds) this.thresholds[key] = value;
    else throw new RangeError(`unknown threshold ${String(key)}`);
  }

  /** A delta pass now (in any state; a no-op with nothing dirty). */
  replicateNow(onProgress?: PassProgress): Promise<DeltaPassResult> {
    return this.queue.run(async () => {
      // As a tick does: a switch still waiting for the shipper's batch in flight must finish
      // first, or that batch could reach the backup after the pass, over newer chunk images.
      await this.switching?.catch(() => undefined);
      if (this.parts.binding.unsettled) await this.rebind();
      this.parts.binding.requireBound();
      return this.pass(onProgress, 'admin');
    });
  }

  // ---- ticks ----------------------------------------------------------------

  /**
   * One health/criteria evaluation: ping, sample rates, maybe switch. The timer calls it;
   * tests call it with a fake clock.
   */
  async tick(): Promise<void> {
    if (this.ticking || this.closed) return;
    this.ticking = true;
    try {
      await this.switching;
      await this.ping.run();
      const now = this.parts.clock();
      const figures = this.figures(now);
      // A peer that stopped answering no longer follows, whatever state the mirroring is in.
      if (!figures.linkUp) this.peerLost(this.parts.link.health().lastError ?? 'the link is down');
      const quiet = this.thresholds.lowTrafficBytesPerSec > 0 && this.hostWrites.sample(now) <= this.thresholds.lowTrafficBytesPerSec;
      this.lowTrafficSince = quiet ? (this.lowTrafficSince ?? now) : undefined;
      if (this.state === 'continuous') {
        if (this.flavour === 'async') this.shipper.kick();
        const reason = this.mode === 'auto' ? autoTrip(figures, this.thresholds) : linkTrip(figures, this.thresholds);
        if (reason) await this.switchToDelta(reason);
        return;
      }
      if (this.state !== 'delta' || this.queue.busy || this.paused) return;
      if (!linkHealthy(figures, this.thresholds)) {
        this.healthySince = undefined;
        return;
      }
      if (this.parts.binding.unsettled) await this.queue.run(() => this.rebind());
      if (!this.parts.binding.bound) return;
      this.healthySince ??= now;
      if (this.mode === 'delta') {
        if (this.parts.table.dirtyChunks === 0) return;
        const due = now - this.passes.lastPassAt >= this.deltaIntervalMs;
        const lowTraffic = this.lowTrafficSince !== undefined && now - this.lowTrafficSince >= this.thresholds.lowTrafficForMs;
        if (due || lowTraffic) await this.queue.run(() => this.pass(undefined, due ? 'interval' : 'low-traffic')).catch(() => undefined);
        return;
      }
      if (now - this.healthySince >= this.thresholds.healthyForMs) await this.queue.run(() => this.catchUp()).catch(() => undefined);
    } finally {
      this.ticking = false;
    }
  }

  /** Checks the peer now rather than at the next tick (a promotion by switchover, whose peer is known to be in sync). */
  bindNow(): Promise<void> {
    return this.queue.run(() => this.rebind());
  }

  /** The peer was away, or may have changed since the link failed: check it again before sending anything. */
  private async rebind(): Promise<void> {
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
    if (result.kind === 'split-brain') {
      if (before !== 'split-brain') this.parts.onSplitBrain(result.splitBrain);
      return;
    }
    if (binding.stale && before !== 'stale') this.parts.onStale();
    if (result.kind !== 'bound') return;
    this.following = true;
    log.info({ event: 'replica-bound', resync: result.resync?.why, generation: this.parts.volume.identity.generation }, 'replica reachable and bound');
    if (result.resync) await this.startResync(result.resync);
  }

  /** Marks what the peer must receive; the next passes compare before they copy. */
  async startResync(plan: ResyncPlan): Promise<void> {
    if (plan.full || plan.peerChanges) this.age.dirtied();
    await this.parts.peerSync.start(plan);
    this.passes.suspect = true;
  }

  /** The peer stopped answering: until it is bound again, changes start a new history. */
  private peerLost(reason: string): void {
    this.following = false;
    this.parts.binding.unbind(reason);
  }

  // ---- passes and the return to continuous ----------------------------------

  /** Delta → continuous: passes while writes continue, then a final pass with writes held. */
  private async catchUp(): Promise<void> {
    const from = this.state;
    this.state = 'catching-up';
    try {
      for (let i = 0; i < 4 && this.parts.table.dirtyChunks > 16; i++) await this.pass(undefined, 'catch-up');
      await this.parts.order.holding(async () => {
        await this.pass(undefined, 'final');
        if (this.parts.table.dirtyChunks !== 0) throw new Error('chunks still dirty after the final pass');
        this.state = 'continuous';
      });
    } catch (e) {
      this.state = 'delta';
      this.healthySince = undefined;
      this.parts.log.warn({ event: 'catch-up-failed', error: (e as Error).message }, 'return to continuous mirroring failed');
      throw e;
    }
    this.recordSwitch(from, 'continuous', 'link-healthy', { healthyForMs: this.thresholds.healthyForMs });
  }

  private pass(onProgress: PassProgress | undefined, trigger: PassTrigger): Promise<DeltaPassResult> {
    // Continuous mirroring would race the pass's older chunk images to the backup: rare
    // (an admin pass with chunks left dirty), so writes simply wait for the whole pass.
    if (this.state === 'continuous') return this.parts.order.holding(() => this.checkedPass(onProgress, trigger));
    return this.checkedPass(onProgress, trigger);
  }

  /** A pass onto a peer still following this node; a failure makes the next tick check the peer again. */
  private async checkedPass(onProgress: PassProgress | undefined, trigger: PassTrigger): Promise<DeltaPassResult> {
    const { binding, peerSync } = this.parts;
    try {
      if (!(await binding.stillFollowing())) throw new ReplicaLinkError(`the peer no longer follows this node: ${binding.state.error ?? binding.state.state}`);
      const result = await this.passes.run((done, total) => {
        peerSync.progress(done, total);
        onProgress?.(done, total);
      }, trigger);
      await peerSync.passed(result);
      return result;
    } catch (e) {
      this.peerLost((e as Error).message);
      throw e;
    }
  }

  // ---- status ----------------------------------------------------------------

  status(): PrimaryStatus {
    const { journal, table } = this.parts;
    return {
      mode: this.mode,
      flavour: this.flavour,
      state: this.state,
      lastSwitch: this.lastSwitch,
      figures: this.figures(undefined),
      journal: { usedBytes: journal.usedBytes, capacity: journal.capacity, entries: journal.length },
      lastPass: this.passes.lastPass,
      paused: this.paused,
      thresholds: { ...this.thresholds },
      deltaIntervalMs: this.deltaIntervalMs,
      recoveryPointAgeMs: this.age.ageMs(table.dirtyChunks > 0, this.async.oldestPendingAt),
    };
  }

  private figures(now: number | undefined): ReplicationFigures {
    const health = this.parts.link.health();
    const { inflow } = this.async;
    const shipped = this.shipper.shippedRate;
    return {
      linkUp: health.up,
      rttMs: health.rttMs,
      writeLatencyMs: health.writeLatencyMs,
      inflowBytesPerSec: now === undefined ? inflow.bytesPerSec : inflow.sample(now),
      flushBytesPerSec: now === undefined ? shipped.bytesPerSec : shipped.sample(now),
      journalFill: this.parts.journal.fill,
      redundancy: this.async.redundancy.ratio,
    };
  }

  private recordSwitch(
    from: MirrorState,
    to: MirrorState,
    reason: string,
    extra: Record<string, unknown>,
    figures: ReplicationFigures = this.figures(undefined),
    at: number = this.parts.clock(),
  ): void {
    this.lastSwitch = { at, from, to, reason };
    this.parts.log.info(
      { event: 'mode-switch', from, to, reason, ...extra, figures, dirtyChunks: this.parts.table.dirtyChunks, journalBytes: this.parts.journal.usedBytes },
      `replication ${from} -> ${to}: ${reason}`,
    );
  }
}
