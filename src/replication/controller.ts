/**
 * The replication state machine of one volume: which write path host changes take
 * (continuous sync or async, or delta tracking), the health/criteria ticks that leave
 * continuous mirroring, the catch-up passes that return to it, and the admin actions.
 * The engine never fails a host write because of the backup: it falls back to delta.
 */
import type { BlockDevice } from '../block/device.js';
import type { DurableFiles } from '../util/durable-file.js';
import { InflightCounter } from '../util/inflight-counter.js';
import type { Logger } from '../util/log.js';
import { SerialQueue } from '../util/serial-queue.js';
import { AsyncMirror } from './async-mirror.js';
import type { DeltaPassResult } from './delta-pass.js';
import type { DeltaTable } from './delta-table.js';
import { DeltaTracking } from './delta-tracking.js';
import type { HostOp } from './host-op.js';
import type { HostWriteOrder } from './host-write-order.js';
import { JournalShipper } from './journal-shipper.js';
import { PassRunner, type PassProgress, type PassTrigger } from './pass-runner.js';
import { RateMeter } from './rate-meter.js';
import { RecoveryPointAge } from './recovery-point-age.js';
import type { ReplicaBinding } from './replica-binding.js';
import type { ReplicaLink } from './replica-link.js';
import type { JournalEntry, StagingJournal } from './staging-journal.js';
import type { ContinuousFlavour, ReplicationMode, ReplicationState, ReplicationStatus, SwitchRecord } from './status.js';
import { DEFAULT_THRESHOLDS, autoTrip, linkHealthy, linkTrip, type ReplicationFigures, type SwitchReason, type SwitchThresholds } from './switch-criteria.js';
import { SyncMirror } from './sync-mirror.js';

/** How long a tick waits for its ping before judging on the health it has (see pingBounded). */
const PING_WAIT_MS = 250;

export interface ControllerParts {
  local: BlockDevice;
  link: ReplicaLink;
  metaDir: string;
  files: DurableFiles;
  journal: StagingJournal;
  table: DeltaTable;
  order: HostWriteOrder;
  binding: ReplicaBinding;
  clock: () => number;
  log: Logger;
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
  private state: ReplicationState;
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
  private pinging: Promise<void> | undefined;
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
    const linkFailed = (detail: string) => this.fallBack('link-failed', detail);
    this.delta = new DeltaTracking(local, table, this.age);
    this.sync = new SyncMirror(local, link, table, linkFailed);
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
    if (settings.tickMs > 0) {
      this.timer = setInterval(() => void this.tick(), settings.tickMs);
      this.timer.unref();
    }
  }

  get currentState(): ReplicationState {
    return this.state;
  }

  /** A host change of the image, already ordered by the facade: the current state's write path carries it. */
  apply(op: HostOp): Promise<void> {
    if (op.data) this.hostWrites.add(op.data.length);
    // A change the journal cannot hold leaves continuous mirroring here, to wait for the fold like any delta change.
    if (this.state === 'continuous' && this.flavour === 'async' && !this.parts.journal.fits(op.data?.length ?? 0)) this.fallBack('journal-full');
    if (this.state !== 'continuous') return this.folding ? this.folding.then(() => this.delta.apply(op)) : this.delta.apply(op);
    return this.continuousInflight.track(() => (this.flavour === 'sync' ? this.sync.apply(op) : this.async.apply(op)));
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    await this.queue.idle();
    await this.shipper.idle();
    await this.switching?.catch(() => undefined);
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
      if (this.parts.binding.pending) await this.bindLate();
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
      await this.pingBounded();
      const now = this.parts.clock();
      const figures = this.figures(now);
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
      if (this.parts.binding.pending) await this.queue.run(() => this.bindLate());
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

  /**
   * One ping at a time, waited for at most PING_WAIT_MS: through a slow (throttled) link a
   * ping queues behind the shipper's data for up to the operation timeout, and the journal
   * criteria must not wait that long or the journal overflows before they are evaluated.
   * A ping still in flight at the next tick is waited for again, not duplicated.
   */
  private pingBounded(): Promise<void> {
    this.pinging ??= this.parts.link
      .ping()
      .then(
        () => undefined,
        () => undefined,
      )
      .finally(() => (this.pinging = undefined));
    let timer: NodeJS.Timeout | undefined;
    const wait = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, PING_WAIT_MS);
      timer.unref();
    });
    return Promise.race([this.pinging, wait]).finally(() => clearTimeout(timer));
  }

  /** A replica away at open answered: bind it; a blank or taken-over one is copied whole. */
  private async bindLate(): Promise<void> {
    const { binding, table, log } = this.parts;
    const outcome = await binding.bindLate(log);
    if (outcome === undefined) return;
    if (outcome === 'needs-full-sync') {
      this.age.dirtied();
      await table.markAll();
    }
    log.info({ event: 'replica-bound', outcome, generation: binding.identity.generation, dirtyChunks: table.dirtyChunks }, 'replica reachable and bound');
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
    if (this.state === 'continuous') return this.parts.order.holding(() => this.passes.run(onProgress, trigger));
    return this.passes.run(onProgress, trigger);
  }

  // ---- status ----------------------------------------------------------------

  status(): ReplicationStatus {
    const { journal, table, binding, link } = this.parts;
    return {
      mode: this.mode,
      flavour: this.flavour,
      state: this.state,
      lastSwitch: this.lastSwitch,
      figures: this.figures(undefined),
      journal: { usedBytes: journal.usedBytes, capacity: journal.capacity, entries: journal.length },
      dirtyChunks: table.dirtyChunks,
      dirtyBytes: table.dirtyBytes,
      lastPass: this.passes.lastPass,
      identity: binding.identity,
      paused: this.paused,
      thresholds: { ...this.thresholds },
      deltaIntervalMs: this.deltaIntervalMs,
      recoveryPointAgeMs: this.age.ageMs(table.dirtyChunks > 0, this.async.oldestPendingAt),
      link: link.health(),
      binding: binding.state,
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
    from: ReplicationState,
    to: ReplicationState,
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
