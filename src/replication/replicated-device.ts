/**
 * A BlockDevice that mirrors a local store onto a ReplicaLink, so the SCSI layer needs no
 * change. States: `continuous` (sync: ack after durable on both; async: ack after the
 * staging journal is durable and the local write is done), `delta` (local only, the delta
 * table marks chunks) and `catching-up` (delta passes running before continuous resumes).
 * The engine never fails a host write because of the backup: it falls back to delta.
 */
import { RangeLocks } from '../util/range-locks.js';
import type { BlockDevice } from '../block/device.js';
import { moduleLogger, type Logger } from '../util/log.js';
import { DeltaTable, DEFAULT_CHUNK_SIZE } from './delta-table.js';
import { runDeltaPass, type DeltaPassResult } from './delta-pass.js';
import { PassSnapshot } from './pass-snapshot.js';
import { RateMeter } from './rate-meter.js';
import { RedundancyTracker } from './redundancy-tracker.js';
import { ReplicaLinkError, type LinkHealth, type ReplicaLink } from './replica-link.js';
import { StagingJournal, type JournalEntry } from './staging-journal.js';
import { DEFAULT_THRESHOLDS, autoTrip, linkHealthy, linkTrip, type ReplicationFigures, type SwitchReason, type SwitchThresholds } from './switch-criteria.js';
import { ReplicaMismatchError, bindReplica, loadOrCreateIdentity, markReplicaSynced, type VolumeIdentity } from './volume-identity.js';

export type ReplicationMode = 'continuous' | 'delta' | 'auto';

/** What started a delta pass (in its log event). */
type PassTrigger = 'admin' | 'interval' | 'low-traffic' | 'catch-up' | 'final';

/** A host change of the live image: a write (with its data) or a discard (without). */
interface HostOp {
  offset: number;
  length: number;
  data?: Buffer;
  fua: boolean;
}
export type ContinuousFlavour = 'sync' | 'async';
export type ReplicationState = 'continuous' | 'delta' | 'catching-up';

export interface ReplicatedDeviceOptions {
  local: BlockDevice;
  link: ReplicaLink;
  /** `<image>.tandem/`: identity, journal, delta table. */
  metaDir: string;
  mode?: ReplicationMode;
  flavour?: ContinuousFlavour;
  chunkSize?: number;
  journalCapacity?: number;
  thresholds?: Partial<SwitchThresholds>;
  /** Overwrite a replica that belongs to another volume. */
  startOver?: boolean;
  /** ms between health/criteria ticks; 0 = no timer (tests call tick()). Default 1000. */
  tickMs?: number;
  /** Delta mode: pass interval (default 60 s). */
  deltaIntervalMs?: number;
  clock?: () => number;
  logger?: Logger;
}

export interface ReplicationStatus {
  mode: ReplicationMode;
  flavour: ContinuousFlavour;
  state: ReplicationState;
  lastSwitch: { at: number; from: ReplicationState; to: ReplicationState; reason: string } | undefined;
  figures: ReplicationFigures;
  journal: { usedBytes: number; capacity: number; entries: number };
  dirtyChunks: number;
  dirtyBytes: number;
  lastPass: (DeltaPassResult & { at: number }) | undefined;
  identity: VolumeIdentity;
  /** Admin pause: delta tracking only, no passes or return to continuous until resumed. */
  paused: boolean;
  thresholds: SwitchThresholds;
  deltaIntervalMs: number;
  /** Age of the oldest write not yet durable on the backup (0: none; sync continuous: 0). */
  recoveryPointAgeMs: number;
  link: LinkHealth;
  /**
   * Whether the replica was checked to be this volume's: `pending` while it has not been
   * reachable since the start (nothing is sent until it is), `refused` when it turned out
   * to belong to another volume (nothing is ever sent; restart with --start-over to replace it).
   */
  binding: ReplicaBinding;
}

export interface ReplicaBinding {
  state: 'bound' | 'pending' | 'refused';
  error?: string | undefined;
}

const MAX_FLUSH_BATCH = 64;
const MAX_FLUSH_BATCH_BYTES = 8 * 1024 * 1024;
/** How long a tick waits for its ping before judging on the health it has (see pingBounded). */
const PING_WAIT_MS = 250;

export class ReplicatedDevice implements BlockDevice {
  readonly size: number;
  readonly readOnly: boolean;
  readonly canDiscard: boolean;
  readonly path: string;

  private state: ReplicationState;
  private mode: ReplicationMode;
  private flavour: ContinuousFlavour;
  private readonly thresholds: SwitchThresholds;
  /** Orders overlapping host writes (byte ranges) the same way on both sides. */
  private readonly writeOrder = new RangeLocks();
  private readonly clock: () => number;
  private readonly log: Logger;
  private readonly redundancy: RedundancyTracker;
  private readonly inflow = new RateMeter();
  /** Every host write, whatever the state (delta mode's low-traffic passes). */
  private readonly hostWrites = new RateMeter();
  private lowTrafficSince: number | undefined;
  private readonly flushed = new RateMeter();
  /** Host writes in progress, and a waiter for them to drain. */
  private inflight = 0;
  private drained: (() => void) | undefined;
  /** Of those, the ones on a continuous path (the switch to delta waits for them). */
  private continuousInflight = 0;
  private continuousDrained: (() => void) | undefined;
  /** Set while host writes must wait (a pass's point in time, the final pass before continuous). */
  private gate: Promise<void> | undefined;
  /** The copy-on-write view of the pass in progress: host writes preserve its chunks first. */
  private snapshot: PassSnapshot | undefined;
  /** Journal entries whose local write finished: the flusher only takes those. */
  private appliedThrough: number;
  private readonly applied = new Set<number>();
  private ackedSeq: number;
  private flushing: Promise<void> | undefined;
  private busy: Promise<unknown> | undefined;
  private healthySince: number | undefined;
  private lastPassAt: number;
  private lastSwitch: ReplicationStatus['lastSwitch'];
  private lastPass: ReplicationStatus['lastPass'];
  private timer: NodeJS.Timeout | undefined;
  private ticking = false;
  private closed = false;
  /** The next pass challenges before copying (after recovery or lost tracking). */
  private suspect: boolean;
  private paused = false;
  private binding: ReplicaBinding = { state: 'bound' };
  private readonly startOver: boolean;
  /** When the delta table last went from clean to dirty (recovery-point age). */
  private dirtySince: number | undefined;
  /** Append times of pending async journal entries, oldest first, as [seq, at]. */
  private readonly pendingTimes: Array<[number, number]> = [];

  private constructor(
    private readonly local: BlockDevice,
    private readonly link: ReplicaLink,
    private readonly metaDir: string,
    private readonly journal: StagingJournal,
    private readonly table: DeltaTable,
    private identity: VolumeIdentity,
    options: ReplicatedDeviceOptions,
    startInDelta: boolean,
  ) {
    this.size = local.size;
    this.readOnly = local.readOnly;
    this.canDiscard = local.canDiscard;
    this.path = local.path;
    this.mode = options.mode ?? 'auto';
    this.flavour = options.flavour ?? 'async';
    this.thresholds = { ...DEFAULT_THRESHOLDS, ...options.thresholds };
    this.clock = options.clock ?? Date.now;
    this.log = options.logger ?? moduleLogger('replication');
    this.redundancy = new RedundancyTracker(table.chunkSize);
    this.appliedThrough = journal.lastSeq;
    this.ackedSeq = journal.lastSeq;
    this.lastPassAt = this.clock();
    this.suspect = startInDelta;
    if (table.dirtyChunks > 0) this.dirtySince = this.clock();
    this.state = this.mode === 'delta' || startInDelta ? 'delta' : 'continuous';
    for (const e of journal.pending()) if (!e.discard) this.redundancy.add(e.offset, e.length);
    const tickMs = options.tickMs ?? 1000;
    if (tickMs > 0) {
      this.timer = setInterval(() => void this.tick(), tickMs);
      this.timer.unref();
    }
    this.deltaIntervalMs = options.deltaIntervalMs ?? 60_000;
    this.startOver = options.startOver ?? false;
  }

  private deltaIntervalMs: number;

  /**
   * Opens the replication state beside the LUN: replays the staging journal onto the local
   * store, checks the replica's identity (ReplicaMismatchError unless startOver), and
   * starts in delta mode whenever the replica may differ (first sync, crash, lost tracking).
   */
  static async open(options: ReplicatedDeviceOptions): Promise<ReplicatedDevice> {
    const { local, link, metaDir } = options;
    if (link.size !== local.size) throw new RangeError(`replica is ${link.size} bytes, the local LUN ${local.size}`);
    let identity = await loadOrCreateIdentity(metaDir);
    const journal = await StagingJournal.open({ dir: metaDir, ...(options.journalCapacity ? { capacity: options.journalCapacity } : {}) });
    let table: DeltaTable | undefined;
    try {
      table = await DeltaTable.open({ dir: metaDir, volumeSize: local.size, chunkSize: options.chunkSize ?? DEFAULT_CHUNK_SIZE });
      // An unreachable backup does not keep the primary from serving: it binds once reachable.
      let bound: Awaited<ReturnType<typeof bindReplica>> | undefined;
      try {
        bound = await bindReplica(metaDir, identity, link, options.startOver ?? false);
        identity = bound.identity;
      } catch (e) {
        if (!(e instanceof ReplicaLinkError)) throw e;
      }
      // Recovered journal entries: the local write may be missing (replay) and the backup may lack them (mark).
      const recovered = journal.pending();
      for (const e of recovered) {
        if (e.discard) await local.discard(e.offset, e.length);
        else await local.write(await journal.readData(e), e.offset);
      }
      if (recovered.length > 0) await local.flush();
      for (const e of recovered) table.mark(e.offset, e.length);
      await table.persist();
      await journal.trimThrough(journal.lastSeq);
      const lostTracking = table.fresh && identity.replicaSynced;
      if (bound?.outcome === 'needs-full-sync' || lostTracking) await table.markAll();
      const startInDelta = table.dirtyChunks > 0 || !bound;
      const device = new ReplicatedDevice(local, link, metaDir, journal, table, identity, options, startInDelta);
      if (!bound) device.binding = { state: 'pending', error: link.health().lastError };
      device.log.info(
        { event: 'replication-open', volumeId: identity.volumeId, generation: identity.generation, bind: bound?.outcome ?? 'pending', recovered: recovered.length, dirtyChunks: table.dirtyChunks, state: device.state },
        bound ? 'replication state opened' : 'replication state opened; the replica is not reachable yet (writes are tracked in the delta table)',
      );
      return device;
    } catch (e) {
      await journal.close();
      await table?.close();
      throw e;
    }
  }

  // ---- BlockDevice -------------------------------------------------------

  read(buf: Buffer, offset: number): Promise<void> {
    return this.local.read(buf, offset);
  }

  async write(buf: Buffer, offset: number, fua = false): Promise<void> {
    // Overlapping writes in flight at once could land in one order here and another on
    // the backup (or in the journal); serialising them keeps both images the same.
    return this.hostChange(offset, buf.length, () => this.applyHostOp({ offset, length: buf.length, data: buf, fua }));
  }

  /**
   * Every change of the live image by the host goes through here: ordered against
   * overlapping changes, held at a pass's point in time, counted for drains, and
   * preserved for the pass in progress (copy-on-write) before it lands.
   */
  private async hostChange(offset: number, length: number, change: () => Promise<void>): Promise<void> {
    const release = await this.writeOrder.acquire(offset, length);
    try {
      // A loop, not an if: another hold may have begun by the time this one's waiters wake.
      while (this.gate) await this.gate;
      this.inflight++;
      try {
        const preserving = this.snapshot?.beforeWrite(offset, length);
        if (preserving) await preserving;
        await change();
      } finally {
        if (--this.inflight === 0) this.drained?.();
      }
    } finally {
      release();
    }
  }

  private async applyHostOp(op: HostOp): Promise<void> {
    if (op.data) this.hostWrites.add(op.data.length);
    if (this.state !== 'continuous') return await this.applyDelta(op);
    this.continuousInflight++;
    try {
      if (this.flavour === 'sync') return await this.applySync(op);
      return await this.applyAsync(op);
    } finally {
      if (--this.continuousInflight === 0) this.continuousDrained?.();
    }
  }

  flush(): Promise<void> {
    return this.local.flush();
  }

  /** Replicated like a write: an UNMAP on the backup (or a discard record in the journal). */
  discard(offset: number, length: number): Promise<void> {
    return this.hostChange(offset, length, () => this.applyHostOp({ offset, length, fua: false }));
  }

  allocation(offset: number, maxLength: number): Promise<{ mapped: boolean; length: number }> {
    return this.local.allocation(offset, maxLength);
  }

  sha256(offset: number, length: number): Promise<Buffer> {
    return this.local.sha256(offset, length);
  }

  digestExtents(extents: Float64Array): Promise<Buffer> {
    return this.local.digestExtents(extents);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    await this.busy?.catch(() => undefined);
    await this.flushing?.catch(() => undefined);
    await this.switching?.catch(() => undefined);
    await this.table.close();
    await this.journal.close();
    await this.link.close().catch(() => undefined);
    await this.local.close();
  }

  // ---- write paths -------------------------------------------------------

  /** The host op on the local image alone (delta tracking, or one side of a mirrored op). */
  private applyLocal(op: HostOp, fua: boolean): Promise<void> {
    return op.data ? this.local.write(op.data, op.offset, fua) : this.local.discard(op.offset, op.length);
  }

  private async applyDelta(op: HostOp): Promise<void> {
    this.dirtySince ??= this.clock();
    const marking = this.table.mark(op.offset, op.length);
    if (marking) await marking;
    await this.applyLocal(op, op.fua);
  }

  private async applySync(op: HostOp): Promise<void> {
    const marking = this.table.beginWrite(op.offset, op.length);
    if (marking) await marking;
    // A discard is durable on the backup once its cache is synchronised, as a FUA write is at once.
    const remote = op.data ? this.link.write(op.data, op.offset, true) : this.link.discard(op.offset, op.length).then(() => this.link.flush());
    const [localResult, remoteResult] = await Promise.allSettled([this.applyLocal(op, op.fua), remote]);
    this.table.endWrite(op.offset, op.length, remoteResult.status === 'fulfilled');
    if (localResult.status === 'rejected') throw localResult.reason;
    if (remoteResult.status === 'rejected') this.fallBack('link-failed', (remoteResult.reason as Error).message);
  }

  private async applyAsync(op: HostOp): Promise<void> {
    const bytes = op.data?.length ?? 0;
    if (!this.journal.fits(bytes)) {
      this.fallBack('journal-full');
      return this.applyDelta(op);
    }
    const entry = op.data ? await this.journal.append(op.offset, op.data, this.ackedSeq) : await this.journal.appendDiscard(op.offset, op.length, this.ackedSeq);
    // Checked per append, not only per tick: at a high write rate a tick comes too late to leave before the journal is full.
    if (this.mode === 'auto' && this.journal.fill > this.thresholds.maxJournalFill) this.fallBack('journal-nearly-full');
    this.pendingTimes.push([entry.seq, this.clock()]);
    // A discard sends no data: it counts for neither the redundancy nor the inflow rate.
    if (op.data) {
      this.redundancy.add(op.offset, bytes);
      this.inflow.add(bytes);
    }
    // The journal already makes the change durable; FUA needs nothing more locally.
    await this.applyLocal(op, false);
    this.markApplied(entry.seq);
    if (entry.seq > this.ackedSeq) this.ackedSeq = entry.seq;
    this.kickFlusher();
  }

  private markApplied(seq: number): void {
    this.applied.add(seq);
    while (this.applied.delete(this.appliedThrough + 1)) this.appliedThrough++;
  }

  // ---- the journal flusher ----------------------------------------------

  private kickFlusher(): void {
    if (this.flushing || this.closed) return;
    this.flushing = this.flushLoop().finally(() => {
      this.flushing = undefined;
      // Entries applied while the loop was finding nothing to do.
      if (this.state === 'continuous' && this.flavour === 'async' && this.journal.length > 0 && this.nextBatch().length > 0) this.kickFlusher();
    });
  }

  private async flushLoop(): Promise<void> {
    while (this.state === 'continuous' && this.flavour === 'async' && !this.closed) {
      const batch = this.nextBatch();
      if (batch.length === 0) return;
      try {
        const datas = await Promise.all(batch.map((e) => (e.discard ? undefined : this.journal.readData(e))));
        await Promise.all(batch.map((e, i) => (e.discard ? this.link.discard(e.offset, e.length) : this.link.write(datas[i]!, e.offset, false))));
        // Trimmed entries must be durable on both sides: recovery replays only what is left.
        await Promise.all([this.link.flush(), this.local.flush()]);
      } catch (e) {
        this.fallBack('link-failed', (e as Error).message);
        return;
      }
      if (this.state !== 'continuous') return;
      await this.journal.trimThrough(batch[batch.length - 1]!.seq);
      this.forgetPendingThrough(batch[batch.length - 1]!.seq);
      for (const e of batch) {
        if (e.discard) continue;
        this.redundancy.remove(e.offset, e.length);
        this.flushed.add(e.length);
      }
    }
  }

  /**
   * Entries that may go to the backup together: none was acknowledged to the host before
   * another in the batch arrived, and none overlaps another, so any subset the backup
   * holds after a crash is still a state the host could have seen.
   */
  private nextBatch(): JournalEntry[] {
    const candidates = this.journal.peekDurable(MAX_FLUSH_BATCH);
    const batch: JournalEntry[] = [];
    let bytes = 0;
    for (const e of candidates) {
      if (e.seq > this.appliedThrough) break;
      if (batch.length > 0) {
        if (e.ackedBefore >= batch[0]!.seq || bytes + e.length > MAX_FLUSH_BATCH_BYTES) break;
        if (batch.some((b) => b.offset < e.offset + e.length && e.offset < b.offset + b.length)) break;
      }
      batch.push(e);
      bytes += e.length;
    }
    return batch;
  }

  // ---- mode switching ----------------------------------------------------

  /** Continuous → delta: fold the journal into the delta table. One event with the figures. */
  switchToDelta(reason: SwitchReason, detail?: string): Promise<void> {
    if (this.state !== 'continuous' || this.closed) return this.switching ?? Promise.resolve();
    const run = this.foldIntoDelta(reason, detail).finally(() => {
      if (this.switching === run) this.switching = undefined;
    });
    this.switching = run;
    return run;
  }

  private switching: Promise<void> | undefined;

  /** A switch started from the I/O path: its failure is logged, never thrown at a host write. */
  private fallBack(reason: SwitchReason, detail?: string): void {
    this.switchToDelta(reason, detail).catch((e: unknown) => this.log.error({ event: 'switch-failed', reason, error: (e as Error).message }, 'switch to delta failed'));
  }

  private async foldIntoDelta(reason: SwitchReason, detail: string | undefined): Promise<void> {
    const from = this.state;
    const figures = this.figures(undefined);
    const at = this.clock();
    this.state = 'delta';
    // Status must never show the new state with the previous switch's reason.
    this.lastSwitch = { at, from, to: 'delta', reason };
    // A switch for a journal reason leaves the link healthy: its healthy time starts now.
    const linkReason = reason === 'link-failed' || reason === 'rtt-high' || reason === 'write-latency-high';
    this.healthySince = linkReason ? undefined : this.clock();
    await this.drainContinuous();
    await this.flushing?.catch(() => undefined);
    const pending = this.journal.pending();
    for (const e of pending) this.table.mark(e.offset, e.length);
    await this.table.persist();
    await this.journal.trimThrough(this.journal.lastSeq);
    const oldestPending = this.pendingTimes[0]?.[1];
    if (oldestPending !== undefined && this.table.dirtyChunks > 0) this.dirtySince = Math.min(this.dirtySince ?? oldestPending, oldestPending);
    this.pendingTimes.length = 0;
    this.redundancy.clear();
    this.recordSwitch(from, 'delta', reason, { detail, foldedEntries: pending.length }, figures, at);
  }

  /** Admin: change mode and flavour. */
  async setMode(mode: ReplicationMode, flavour?: ContinuousFlavour): Promise<void> {
    this.mode = mode;
    if (flavour && flavour !== this.flavour) {
      if (this.state === 'continuous') await this.switchToDelta('admin', `flavour ${flavour}`);
      this.flavour = flavour;
    }
    if (mode === 'delta') await this.switchToDelta('admin', 'mode delta');
  }

  /**
   * Admin: stop sending to the backup. Continuous mirroring folds into the delta table;
   * no pass runs and continuous does not resume until resume() (an explicit replicateNow still runs).
   */
  async pause(): Promise<void> {
    this.paused = true;
    await this.switchToDelta('admin', 'paused');
  }

  /** Admin: undo pause(); the usual tick rules (interval passes, healthy link → continuous) apply again. */
  resume(): void {
    this.paused = false;
    this.healthySince = undefined;
  }

  /** Admin: change one switching threshold or the delta interval at run time (not persisted). */
  setThreshold(key: keyof SwitchThresholds | 'deltaIntervalMs', value: number): void {
    if (!Number.isFinite(value) || value < 0) throw new RangeError(`${key} must be a non-negative number, not ${value}`);
    if (key === 'deltaIntervalMs') this.deltaIntervalMs = value;
    else if (key in this.thresholds) this.thresholds[key] = value;
    else throw new RangeError(`unknown threshold ${String(key)}`);
  }

  /** Admin: run a delta pass now (in any state; a no-op with nothing dirty). */
  replicateNow(onProgress?: (doneChunks: number, totalChunks: number) => void): Promise<DeltaPassResult> {
    return this.exclusive(async () => {
      if (this.binding.state === 'pending') await this.bindLate();
      if (this.binding.state !== 'bound') throw new ReplicaLinkError(`the replica is not usable yet: ${this.binding.error ?? this.binding.state}`);
      return this.pass(onProgress, 'admin');
    });
  }

  /**
   * The replica was unreachable at open: check its volume tag now, exactly as open would
   * have. A foreign tag refuses it for good (one error event); a blank or taken-over replica
   * needs a full resynchronisation; our own replica gets the challenge resync every delta
   * start does.
   */
  private async bindLate(): Promise<void> {
    try {
      const bound = await bindReplica(this.metaDir, this.identity, this.link, this.startOver);
      this.identity = bound.identity;
      if (bound.outcome === 'needs-full-sync') {
        this.dirtySince ??= this.clock();
        await this.table.markAll();
      }
      this.binding = { state: 'bound' };
      this.log.info({ event: 'replica-bound', outcome: bound.outcome, generation: this.identity.generation, dirtyChunks: this.table.dirtyChunks }, 'replica reachable and bound');
    } catch (e) {
      if (e instanceof ReplicaMismatchError) {
        this.binding = { state: 'refused', error: e.message };
        this.log.error({ event: 'replica-refused', error: e.message }, 'replica refused: it belongs to another volume');
        return;
      }
      this.binding = { state: 'pending', error: (e as Error).message };
    }
  }

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
      const now = this.clock();
      const figures = this.figures(now);
      const quiet = this.thresholds.lowTrafficBytesPerSec > 0 && this.hostWrites.sample(now) <= this.thresholds.lowTrafficBytesPerSec;
      this.lowTrafficSince = quiet ? (this.lowTrafficSince ?? now) : undefined;
      if (this.state === 'continuous') {
        if (this.flavour === 'async') this.kickFlusher();
        const reason = this.mode === 'auto' ? autoTrip(figures, this.thresholds) : linkTrip(figures, this.thresholds);
        if (reason) await this.switchToDelta(reason);
        return;
      }
      if (this.state !== 'delta' || this.busy || this.paused) return;
      if (!linkHealthy(figures, this.thresholds)) {
        this.healthySince = undefined;
        return;
      }
      if (this.binding.state === 'pending') await this.exclusive(() => this.bindLate());
      if (this.binding.state !== 'bound') return;
      this.healthySince ??= now;
      if (this.mode === 'delta') {
        if (this.table.dirtyChunks === 0) return;
        const due = now - this.lastPassAt >= this.deltaIntervalMs;
        const lowTraffic = this.lowTrafficSince !== undefined && now - this.lowTrafficSince >= this.thresholds.lowTrafficForMs;
        if (due || lowTraffic) await this.exclusive(() => this.pass(undefined, due ? 'interval' : 'low-traffic')).catch(() => undefined);
        return;
      }
      if (now - this.healthySince >= this.thresholds.healthyForMs) await this.exclusive(() => this.catchUp()).catch(() => undefined);
    } finally {
      this.ticking = false;
    }
  }

  /**
   * One ping at a time, waited for at most PING_WAIT_MS: through a slow (throttled) link a
   * ping queues behind the flusher's data for up to the operation timeout, and the journal
   * criteria must not wait that long or the journal overflows before they are evaluated.
   * A ping still in flight at the next tick is waited for again, not duplicated.
   */
  private pingBounded(): Promise<void> {
    this.pinging ??= this.link.ping().then(
      () => undefined,
      () => undefined,
    ).finally(() => (this.pinging = undefined));
    let timer: NodeJS.Timeout | undefined;
    const wait = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, PING_WAIT_MS);
      timer.unref();
    });
    return Promise.race([this.pinging, wait]).finally(() => clearTimeout(timer));
  }

  private pinging: Promise<void> | undefined;

  status(): ReplicationStatus {
    return {
      mode: this.mode,
      flavour: this.flavour,
      state: this.state,
      lastSwitch: this.lastSwitch,
      figures: this.figures(undefined),
      journal: { usedBytes: this.journal.usedBytes, capacity: this.journal.capacity, entries: this.journal.length },
      dirtyChunks: this.table.dirtyChunks,
      dirtyBytes: this.table.dirtyBytes,
      lastPass: this.lastPass,
      identity: this.identity,
      paused: this.paused,
      thresholds: { ...this.thresholds },
      deltaIntervalMs: this.deltaIntervalMs,
      recoveryPointAgeMs: this.recoveryPointAgeMs(),
      link: this.link.health(),
      binding: { ...this.binding },
    };
  }

  private recoveryPointAgeMs(): number {
    const now = this.clock();
    const oldest = Math.min(this.table.dirtyChunks > 0 ? (this.dirtySince ?? now) : now, this.pendingTimes[0]?.[1] ?? now);
    return Math.max(0, now - oldest);
  }

  private forgetPendingThrough(seq: number): void {
    let n = 0;
    while (n < this.pendingTimes.length && this.pendingTimes[n]![0] <= seq) n++;
    if (n > 0) this.pendingTimes.splice(0, n);
  }

  /** Delta → continuous: passes while writes continue, then a final pass with writes held. */
  private async catchUp(): Promise<void> {
    const from = this.state;
    this.state = 'catching-up';
    try {
      for (let i = 0; i < 4 && this.table.dirtyChunks > 16; i++) await this.pass(undefined, 'catch-up');
      await this.holdingWrites(async () => {
        await this.pass(undefined, 'final');
        if (this.table.dirtyChunks !== 0) throw new Error('chunks still dirty after the final pass');
        this.state = 'continuous';
      });
    } catch (e) {
      this.state = 'delta';
      this.healthySince = undefined;
      this.log.warn({ event: 'catch-up-failed', error: (e as Error).message }, 'return to continuous mirroring failed');
      throw e;
    }
    this.recordSwitch(from, 'continuous', 'link-healthy', { healthyForMs: this.thresholds.healthyForMs });
  }

  /**
   * Host writes wait at the gate while `fn` runs, once those already in progress are done.
   * Nested calls (a pass inside the final catch-up) run under the outer hold.
   */
  private async holdingWrites<T>(fn: () => Promise<T>): Promise<T> {
    if (this.writesHeld) return fn();
    let release!: () => void;
    this.gate = new Promise((r) => (release = r));
    this.writesHeld = true;
    try {
      await this.drain();
      return await fn();
    } finally {
      this.writesHeld = false;
      this.gate = undefined;
      release();
    }
  }

  private writesHeld = false;

  private async pass(onProgress: ((doneChunks: number, totalChunks: number) => void) | undefined, trigger: PassTrigger): Promise<DeltaPassResult> {
    // Continuous mirroring would race the pass's older chunk images to the backup: rare
    // (an admin pass with chunks left dirty), so writes simply wait for the whole pass.
    if (this.state === 'continuous') return this.holdingWrites(() => this.snapshotPass(onProgress, trigger));
    return this.snapshotPass(onProgress, trigger);
  }

  /**
   * One pass from a copy-on-write snapshot: the chunk set and the snapshot are taken with
   * host writes held for a moment, so no write is half-way between marking its chunk and
   * changing the image when the pass's point in time is fixed.
   */
  private async snapshotPass(onProgress: ((doneChunks: number, totalChunks: number) => void) | undefined, trigger: PassTrigger): Promise<DeltaPassResult> {
    const compare = this.suspect;
    // The first full copy has no earlier image on the backup worth keeping: it is not staged.
    const staged = this.identity.replicaSynced;
    const scratch = await PassSnapshot.openScratch(this.metaDir, this.local.size);
    const { chunks, snapshot } = await this.holdingWrites(async () => {
      const chunks = this.table.markedChunks();
      this.table.beginCopy(chunks);
      this.snapshot = new PassSnapshot(this.local, scratch, this.table.chunkSize, chunks);
      return { chunks, snapshot: this.snapshot };
    });
    let result: DeltaPassResult;
    try {
      result = await runDeltaPass(this.table, chunks, snapshot, this.link, { compare, staged, ...(onProgress ? { onProgress } : {}) });
    } finally {
      this.snapshot = undefined;
      await snapshot.close();
    }
    this.suspect = false;
    this.lastPassAt = this.clock();
    this.lastPass = { ...result, at: this.lastPassAt };
    if (this.table.dirtyChunks === 0) this.dirtySince = undefined;
    if (!this.identity.replicaSynced && this.table.dirtyChunks === 0) this.identity = await markReplicaSynced(this.metaDir, this.identity);
    this.log.info(
      { event: 'delta-pass', trigger, compare, ...result, preservedChunks: snapshot.preservedChunks, dirtyAfter: this.table.dirtyChunks },
      compare ? 'resync pass' : 'delta pass',
    );
    return result;
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = (this.busy ?? Promise.resolve()).catch(() => undefined).then(fn);
    const tracked = run.finally(() => {
      if (this.busy === tracked) this.busy = undefined;
    });
    // The caller gets run's failure; this copy is only waited on, never to be reported twice.
    tracked.catch(() => undefined);
    this.busy = tracked;
    return run;
  }

  private drainContinuous(): Promise<void> {
    if (this.continuousInflight === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const previous = this.continuousDrained;
      this.continuousDrained = () => {
        this.continuousDrained = undefined;
        previous?.();
        resolve();
      };
    });
  }

  private drain(): Promise<void> {
    if (this.inflight === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const previous = this.drained;
      this.drained = () => {
        this.drained = undefined;
        previous?.();
        resolve();
      };
    });
  }

  private figures(now: number | undefined): ReplicationFigures {
    const health = this.link.health();
    return {
      linkUp: health.up,
      rttMs: health.rttMs,
      writeLatencyMs: health.writeLatencyMs,
      inflowBytesPerSec: now === undefined ? this.inflow.bytesPerSec : this.inflow.sample(now),
      flushBytesPerSec: now === undefined ? this.flushed.bytesPerSec : this.flushed.sample(now),
      journalFill: this.journal.fill,
      redundancy: this.redundancy.ratio,
    };
  }

  private recordSwitch(
    from: ReplicationState,
    to: ReplicationState,
    reason: string,
    extra: Record<string, unknown>,
    figures: ReplicationFigures = this.figures(undefined),
    at: number = this.clock(),
  ): void {
    this.lastSwitch = { at, from, to, reason };
    this.log.info(
      { event: 'mode-switch', from, to, reason, ...extra, figures, dirtyChunks: this.table.dirtyChunks, journalBytes: this.journal.usedBytes },
      `replication ${from} -> ${to}: ${reason}`,
    );
  }
}
