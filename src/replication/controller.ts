/**
 * The replication state machine of one volume as the primary: which write path host changes
 * take (continuous sync or async, or delta tracking), the health/criteria ticks that leave
 * continuous mirroring, the catch-up passes that return to it, and the admin actions. The
 * engine never fails a host write because of the backup: it falls back to delta tracking.
 */
import { InflightCounter } from '../util/inflight-counter.js';
import { RecurringFailure } from '../util/recurring-failure.js';
import { SerialQueue } from '../util/serial-queue.js';
import { BoundedPing } from './bounded-ping.js';
import { ContinuousMirroring } from './continuous-mirroring.js';
import type { DeltaPassResult } from './delta-pass.js';
import { DeltaTracking } from './delta-tracking.js';
import type { HostOp } from './host-op.js';
import { PassRunner, type PassProgress, type PassTrigger } from './pass-runner.js';
import { PeerFollowing } from './peer-following.js';
import { planPoint, type PointPlan } from './points/point-planner.js';
import { RateMeter } from './rate-meter.js';
import { ReplicaLinkError } from './replica-link.js';
import { RecoveryPointAge } from './recovery-point-age.js';
import { queueStatus, type ContinuousFlavour, type MirrorState, type PrimaryStatus, type ReplicationMode } from './status.js';
import { SwitchHistory } from './switch-history.js';
import type { ControllerParts, ControllerSettings } from './controller-parts.js';
import { DEFAULT_THRESHOLDS, autoTrip, linkHealthy, linkTrip, type SwitchReason, type SwitchThresholds } from './switch-criteria.js';

/** How long a tick waits for its ping before judging on the health it has (see BoundedPing). */
const PING_WAIT_MS = 250;
/** The shipper confirms once the host has paused this long with nothing left to send (an engine driven by its own timer). */
const CONFIRM_IDLE_MS = 100;

export type { ControllerParts, ControllerSettings } from './controller-parts.js';

export class ReplicationController {
  private state: MirrorState;
  private mode: ReplicationMode;
  private readonly thresholds: SwitchThresholds;
  private deltaIntervalMs: number;
  private paused = false;
  private closed = false;
  private ticking = false;
  private healthySince: number | undefined;
  /** The healthy period (its start) whose first copying pass has run. */
  private copiedFor: number | undefined;
  private lowTrafficSince: number | undefined;
  private readonly switches: SwitchHistory;
  private switching: Promise<void> | undefined;
  /** Passes, catch-up and late binding run one at a time. */
  private readonly serial = new SerialQueue();
  /** Host changes on a continuous path: the switch to delta waits for them. */
  private readonly continuousInflight = new InflightCounter();
  /** Every host write, whatever the state (delta mode's low-traffic passes). */
  private readonly hostWrites = new RateMeter();
  private readonly age: RecoveryPointAge;
  private readonly delta: DeltaTracking;
  private readonly continuous: ContinuousMirroring;
  private readonly passes: PassRunner;
  private readonly peer: PeerFollowing;
  private readonly ping: BoundedPing;
  private readonly timer: NodeJS.Timeout | undefined;
  private readonly shutdownDrainMs: number;

  constructor(private readonly parts: ControllerParts, settings: ControllerSettings) {
    const { local, link, activity, table, clock } = parts;
    this.mode = settings.mode;
    this.thresholds = { ...DEFAULT_THRESHOLDS, ...settings.thresholds };
    this.deltaIntervalMs = settings.deltaIntervalMs;
    this.shutdownDrainMs = settings.shutdownDrainMs;
    this.state = this.mode === 'delta' || settings.startInDelta ? 'delta' : 'continuous';
    this.age = new RecoveryPointAge(clock, table.dirtyChunks > 0);
    this.switches = new SwitchHistory(parts, () => this.continuous.figures(undefined));
    this.passes = new PassRunner({ ...parts, age: this.age }, settings.startInDelta);
    // Marks a resync made while mirroring continuously are never copied by it: a pass must take them.
    this.peer = new PeerFollowing(parts, this.passes, this.age, () => this.state === 'continuous' && table.dirtyChunks > 0 && this.fallBack('peer-changes'));
    this.delta = new DeltaTracking(local, table, activity, this.age);
    this.continuous = new ContinuousMirroring(parts, settings.flavour, settings.queueMemory, {
      active: () => this.state === 'continuous' && !this.closed,
      linkFailed: (detail) => this.fallBack('link-failed', detail),
      // A synchronous write the backup missed is acknowledged all the same: a new history first.
      unreplicatedWrite: () => this.peer.diverge('unreplicated-write'),
      queueFull: (op) => {
        this.fallBack('journal-full');
        return this.apply(op, true);
      },
      queued: (fill) => (this.mode === 'auto' && fill > this.thresholds.maxJournalFill ? this.fallBack('journal-nearly-full') : undefined),
      overflowed: () => this.fallBack('journal-full'),
      localFailed: (detail) => this.fallBack('local-write-failed', detail),
      waitAside: (wait) => this.continuousInflight.aside(wait),
      elsewhere: (op) => this.apply(op, true),
    }, settings.tickMs > 0 ? CONFIRM_IDLE_MS : 0);
    this.ping = new BoundedPing(link, PING_WAIT_MS);
    if (settings.tickMs > 0) {
      const failures = new RecurringFailure(parts.log, 'tick-failed', 'replication tick');
      const tick = () => void failures.run(() => this.tick());
      this.timer = setInterval(tick, settings.tickMs).unref();
      // A reconnect may have put another peer behind the link: judged now, not up to a tick later (a closed controller's tick does nothing).
      link.onPeerEvent = tick;
    }
  }

  get currentState(): MirrorState {
    return this.state;
  }

  /** A host change of the image, already ordered by the facade (`again`: it waited while the state changed): the current state's path carries it. */
  apply(op: HostOp, again = false): Promise<void> {
    if (op.data && !again) this.hostWrites.add(op.data.length);
    if (this.state !== 'continuous') return this.peer.mustDiverge ? this.peer.diverge('peer-away').then(() => this.delta.apply(op)) : this.delta.apply(op);
    return this.continuousInflight.trackCall(this.continuous.apply, op);
  }

  /** The host's SYNCHRONIZE CACHE: durable locally, and on the backup too in synchronous mirroring. */
  async flush(): Promise<void> {
    if (this.state === 'continuous') {
      try {
        return await this.continuous.flush();
      } catch (e) {
        // A failed local flush is the host's to hear (a second fsync after a writeback error may claim success). A failed
        // backup flush: the changes are marked for the backup, and as for a write it missed, a new history before the host hears.
        if (!(e instanceof ReplicaLinkError)) throw e;
        this.fallBack('link-failed', e.message);
        await this.peer.diverge('unreplicated-write');
      }
    }
    await this.parts.local.flush();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.continuous.stop();
    await this.serial.idle();
    await this.switching?.catch(() => undefined);
  }

  /** Leaving the primary role: the queue folds into the delta table (what the peer may lack stays marked), then everything stops. */
  async stop(reason: string): Promise<void> {
    await this.switchToDelta('admin', reason);
    await this.close();
  }

  /** A clean shutdown: the queue shipped and confirmed if the backup answers within `maxMs`; the rest stays queued (the caller spills it). */
  async quiesce(maxMs = this.shutdownDrainMs): Promise<void> {
    if (this.state === 'continuous') await this.continuous.quiesce(maxMs);
  }

  /** `tandem verify` of the running pair: the backup has what the host had acknowledged (continuous mirroring), or `maxMs` passed. */
  async caughtUp(maxMs: number): Promise<void> {
    if (this.state === 'continuous') await this.continuous.caughtUp(maxMs);
  }

  /**
   * Before a switchover holds host writes: ship what is queued (continuous async) or run a
   * pass (delta), so the hold drains only the rest. Bounded; the drain under the hold reports failures.
   */
  async predrain(maxMs = 5_000): Promise<void> {
    const { table } = this.parts;
    await this.continuous.predrain(maxMs);
    if (this.state !== 'continuous' && table.dirtyChunks > 0 && this.parts.binding.bound) await this.serial.run(() => this.pass(undefined, 'catch-up')).catch(() => undefined);
  }

  /**
   * Switchover, with host writes held: everything acknowledged reaches the peer, durably,
   * and the peer then holds this node's history whole. Throws when that cannot be done.
   */
  async drainToPeer(): Promise<void> {
    const { binding, table, peerSync } = this.parts;
    binding.requireBound();
    if (this.state === 'continuous') await this.continuous.drain();
    await this.switching;
    if (this.state !== 'continuous' || table.dirtyChunks > 0) await this.serial.run(() => this.pass(undefined, 'final'));
    if (table.dirtyChunks > 0) throw new Error(`${table.dirtyChunks} chunks still differ after the final pass`);
    await peerSync.adoptIfNeeded();
  }

  /** Whether host writes would be refused: a stale primary accepts none. */
  get fenced(): boolean {
    return this.parts.binding.stale;
  }

  // ---- leaving continuous mirroring --------------------------------------

  /** Continuous → delta: fold the queue into the delta table. One event with the figures. */
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
    if (reason === 'link-failed') this.peer.lost(detail ?? reason);
    this.switchToDelta(reason, detail).catch((e: unknown) => this.parts.log.error({ event: 'switch-failed', reason, error: (e as Error).message }, 'switch to delta failed'));
  }

  private async foldIntoDelta(reason: SwitchReason, detail: string | undefined): Promise<void> {
    const from = this.state;
    const figures = this.continuous.figures(undefined);
    const at = this.parts.clock();
    this.state = 'delta';
    // Status must never show the new state with the previous switch's reason.
    this.switches.last = { at, from, to: 'delta', reason };
    // Not a link reason: its healthy time starts now, no early pass (a journal's rewrites coalesce in the table).
    const linkReason = reason === 'link-failed' || reason === 'rtt-high' || reason === 'write-latency-high';
    this.copiedFor = this.healthySince = linkReason ? undefined : this.parts.clock();
    await this.continuousInflight.idle();
    const folded = await this.continuous.fold();
    this.age.folded(folded.oldestAt, this.parts.table.dirtyChunks > 0);
    this.switches.record(from, 'delta', reason, { detail, foldedEntries: folded.changes }, figures, at);
  }

  // ---- admin --------------------------------------------------------------

  async setMode(mode: ReplicationMode, flavour?: ContinuousFlavour): Promise<void> {
    this.mode = mode;
    if (flavour && flavour !== this.continuous.flavour) {
      if (this.state === 'continuous') await this.switchToDelta('admin', `flavour ${flavour}`);
      this.continuous.flavour = flavour;
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
    return this.serial.run(async () => {
      // As a tick does: a switch still waiting for the shipper's batch in flight must finish
      // first, or that batch could reach the backup after the pass, over newer chunk images.
      await this.switching?.catch(() => undefined);
      if (this.parts.binding.unsettled) await this.rebind();
      this.parts.binding.requireBound();
      return this.pass(onProgress, 'admin');
    });
  }

  // ---- recovery points ------------------------------------------------------

  /** Runs `fn` with no pass, catch-up or late binding of this engine starting meanwhile. */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    return this.serial.run(fn);
  }

  /** Prepares a recovery point of this volume (see PointPlanner): inside exclusive(), before host writes are held. */
  async planPoint(): Promise<PointPlan> {
    const { binding } = this.parts;
    await this.switching?.catch(() => undefined);
    if (binding.unsettled) await this.rebind();
    binding.requireBound();
    return planPoint({
      mode: () => ({ state: this.state, flavour: this.continuous.flavour }),
      queue: this.parts.queue,
      link: this.parts.link,
      ship: () => this.continuous.kick(),
      passes: this.passes,
      pass: (frozen) => this.peer.pass(undefined, 'point', frozen),
    });
  }

  /** Binds the peer now (a promotion by switchover). */
  bindNow(): Promise<void> {
    return this.serial.run(() => this.rebind());
  }

  /** Binds the peer again; a switch its resync started (peer-changes) is over when this returns. */
  private async rebind(): Promise<void> {
    await this.peer.rebind();
    await this.switching?.catch(() => undefined);
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
      await this.evaluate();
      // A switch begun meanwhile (the shipper's link error, a failed confirmation) ends with the tick: status read after it is settled.
      await this.switching?.catch(() => undefined);
    } finally {
      this.ticking = false;
    }
  }

  private async evaluate(): Promise<void> {
    await this.switching;
    await this.ping.run();
    const now = this.parts.clock();
    const figures = this.continuous.figures(now);
    // A peer that stopped answering no longer follows, whatever state the mirroring is in.
    if (!figures.linkUp) this.peer.lost(this.parts.binding.linkDownReason());
    // The marks delta tracking made in memory become durable at least once a tick.
    await this.parts.table.persist();
    const quiet = this.thresholds.lowTrafficBytesPerSec > 0 && this.hostWrites.sample(now) <= this.thresholds.lowTrafficBytesPerSec;
    this.lowTrafficSince = quiet ? (this.lowTrafficSince ?? now) : undefined;
    if (this.state === 'continuous') {
      await this.continuous.tick().catch((e: Error) => this.fallBack('link-failed', e.message));
      const reason = this.mode === 'auto' ? autoTrip(figures, this.thresholds) : linkTrip(figures, this.thresholds);
      if (reason) await this.switchToDelta(reason);
      return;
    }
    if (this.state !== 'delta' || this.serial.busy || this.paused) return;
    if (!linkHealthy(figures, this.thresholds)) {
      this.healthySince = undefined;
      return;
    }
    if (this.parts.binding.unsettled) await this.serial.run(() => this.rebind());
    if (!this.parts.binding.bound) return;
    this.healthySince ??= now;
    if (this.mode === 'delta') {
      if (this.parts.table.dirtyChunks === 0) return;
      const due = now - this.passes.lastPassAt >= this.deltaIntervalMs;
      const lowTraffic = this.lowTrafficSince !== undefined && now - this.lowTrafficSince >= this.thresholds.lowTrafficForMs;
      if (due || lowTraffic) await this.serial.run(() => this.pass(undefined, due ? 'interval' : 'low-traffic')).catch(() => undefined);
      return;
    }
    const healthy = now - this.healthySince >= this.thresholds.healthyForMs;
    // The hysteresis guards the return to continuous against a flapping link, not the copying: a first sync or
    // the resync after an outage starts once the peer is bound (one pass per healthy period until then).
    const copyNow = !healthy && this.copiedFor !== this.healthySince && this.parts.table.dirtyChunks > 0;
    if (copyNow) this.copiedFor = this.healthySince;
    if (healthy || copyNow) await this.serial.run(() => (healthy ? this.catchUp() : this.pass(undefined, 'catch-up').then(() => undefined))).catch(() => undefined);
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
      this.switches.catchUpFailed((e as Error).message);
      throw e;
    }
    this.switches.record(from, 'continuous', 'link-healthy', { healthyForMs: this.thresholds.healthyForMs });
  }

  private pass(onProgress: PassProgress | undefined, trigger: PassTrigger): Promise<DeltaPassResult> {
    // Continuous mirroring would race the pass's older chunk images to the backup: rare
    // (an admin pass with chunks left dirty), so writes simply wait for the whole pass.
    if (this.state === 'continuous') return this.parts.order.holding(() => this.peer.pass(onProgress, trigger));
    return this.peer.pass(onProgress, trigger);
  }

  // ---- status ----------------------------------------------------------------

  status(): PrimaryStatus {
    const { queue, table } = this.parts;
    return {
      mode: this.mode,
      flavour: this.continuous.flavour,
      state: this.state,
      lastSwitch: this.switches.last,
      figures: this.continuous.figures(undefined),
      journal: queueStatus(queue),
      ...this.passes.report(),
      paused: this.paused,
      thresholds: { ...this.thresholds },
      deltaIntervalMs: this.deltaIntervalMs,
      recoveryPointAgeMs: this.age.ageMs(table.dirtyChunks > 0, this.continuous.oldestPendingAt),
    };
  }
}
