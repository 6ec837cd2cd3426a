/**
 * Continuous mirroring, both flavours, as one part of the engine: synchronous (SyncMirror)
 * or asynchronous (AsyncMirror queueing, the Shipper sending), with what the controller
 * asks of them together — the host's flush, a tick's confirmation, a drain to the peer,
 * and the fold into the delta table when the engine leaves continuous mirroring.
 */
import { waitAtMost } from '../util/wait-at-most.js';
import type { ReplicationFigures } from './switch-criteria.js';
import type { BlockDevice } from '../block/device.js';
import type { ActivityLog } from './activity-log.js';
import { AsyncMirror } from './async-mirror.js';
import type { DeltaTable } from './delta-table.js';
import type { AfterWait, HostOp } from './host-op.js';
import type { RateMeter } from './rate-meter.js';
import type { ReplicaBinding } from './replica-binding.js';
import type { ReplicaLink } from './replica-link.js';
import type { SendQueue } from './send-queue.js';
import { Shipper } from './shipper.js';
import type { ContinuousFlavour } from './status.js';
import { SyncMirror } from './sync-mirror.js';

export interface ContinuousParts {
  local: BlockDevice;
  link: ReplicaLink;
  queue: SendQueue;
  activity: ActivityLog;
  table: DeltaTable;
  clock: () => number;
  /** Whether the peer may have changed under the link since it was bound: a restore there, a reconnect (a sampled link is then down). */
  binding: Pick<ReplicaBinding, 'takePeerChange'>;
}

export interface ContinuousHooks {
  /** Whether continuous mirroring is the engine's state (and the engine open). */
  active(): boolean;
  /** The backup failed a write or a flush: the engine leaves continuous mirroring. */
  linkFailed(detail: string): void;
  /** A synchronous write the backup missed is about to be acknowledged: resolve once that is allowed. */
  unreplicatedWrite(detail: string): Promise<void>;
  /** The queue cannot take `op`: the engine leaves continuous mirroring and takes it another way. */
  queueFull(op: HostOp): Promise<void>;
  /** After each queued change, with the queue's fill fraction. */
  queued(fill: number): void;
  /** The queue outgrew its memory and the journal could not take the overflow. */
  overflowed(): void;
  /** The local image failed a change, whose range is marked: the engine leaves continuous mirroring so a pass copies what the image holds. */
  localFailed(detail: string): void;
  /** Waits uncounted by the engine's wait for continuous writes to finish (which a fold that frees room may be behind). */
  waitAside<T>(wait: Promise<T>): Promise<T>;
  /** The engine left continuous mirroring while `op` waited: it goes the engine's current way. */
  elsewhere(op: HostOp): Promise<void>;
}

/** What folding left for the delta table: the changes folded and when the oldest was queued. */
export interface Folded {
  changes: number;
  oldestAt: number | undefined;
}

/** A switchover's predrain stops once this few changes are left to ship (the hold drains and confirms the rest). */
const PREDRAIN_LEFT = 8;

export class ContinuousMirroring {
  private readonly sync: SyncMirror;
  private readonly async: AsyncMirror;
  private readonly shipper: Shipper;

  constructor(
    private readonly parts: ContinuousParts,
    public flavour: ContinuousFlavour,
    queueMemory: number,
    private readonly hooks: ContinuousHooks,
    /** With nothing left to send, how soon to confirm (0: at once, no timer). */
    confirmIdleMs: number,
  ) {
    const { local, link, queue, activity, table, clock } = parts;
    // A failed local write may have changed part of its range (a short write before ENOSPC, an
    // EIO): the backup gets neither nothing nor the host's data there, but a copy of the image.
    const localFailed = (op: HostOp, e: unknown): void => {
      table.note(op.offset, op.length);
      hooks.localFailed(e instanceof Error ? e.message : String(e));
    };
    const linkFailed = (detail: string): Promise<void> => {
      hooks.linkFailed(detail);
      return hooks.unreplicatedWrite(detail);
    };
    // A write waiting for activity-log room waits for a confirmation; with the link down, only
    // the fold frees room, and a fold waiting for that write hung the volume for good. Other
    // waits (an extent's persist, queue room) end by themselves: the fold waits for them.
    const afterWaitIn =
      (flavour: ContinuousFlavour): AfterWait =>
      (wait, op, onPath) => {
        if (!activity.waitsForRoom(wait)) return wait.then(onPath);
        return hooks.waitAside(wait).then(() => {
          if (hooks.active() && this.flavour === flavour) return onPath();
          activity.release(op.offset, op.length);
          return hooks.elsewhere(op);
        });
      };
    this.sync = new SyncMirror(local, link, activity, table, linkFailed, localFailed, undefined, afterWaitIn('sync'));
    this.async = new AsyncMirror(
      local,
      queue,
      activity,
      table.chunkSize,
      clock,
      {
        whenFull: (op) => hooks.queueFull(op),
        queued: (fill) => hooks.queued(fill),
        shippable: () => this.shipper.kick(),
        confirmWanted: () => this.shipper.kick(),
        overflowed: () => hooks.overflowed(),
        localFailed,
        afterWait: afterWaitIn('async'),
      },
      queueMemory,
    );
    this.shipper = new Shipper(queue, this.async, link, local, () => hooks.active() && this.flavour === 'async', (detail) => hooks.linkFailed(detail), { confirmIdleMs });
  }

  // Made once, passed as it is: every host write in continuous mirroring comes here.
  readonly apply = (op: HostOp): Promise<void> => (this.flavour === 'sync' ? this.sync.apply(op) : this.async.apply(op));

  /** The host's SYNCHRONIZE CACHE: in synchronous mirroring durable on both (throws if the backup failed), else locally. */
  flush(): Promise<void> {
    if (this.flavour === 'sync') return this.sync.flush();
    this.async.flushIssued();
    return this.parts.local.flush();
  }

  /** A tick: ship what waits, confirm what is due. Throws what the backup threw. */
  async tick(): Promise<void> {
    if (this.flavour === 'async') this.shipper.kick();
    else await this.sync.confirmIfDue();
  }

  /** Something was queued outside the write path (a recovery point): ship it. */
  kick(): void {
    if (this.flavour === 'async') this.shipper.kick();
  }

  /** Everything acknowledged is durable on the backup when this resolves. */
  drain(): Promise<void> {
    return this.flavour === 'async' ? this.shipper.drain() : this.sync.flush();
  }

  /** A clean shutdown: drain, for at most `maxMs`; what is left stays queued (async) or is marked (sync). */
  async quiesce(maxMs: number): Promise<void> {
    await waitAtMost(this.drain(), maxMs);
    // Synchronous writes on both nodes but never confirmed durable on the backup (its flush
    // failed or was late): marked for the next start, which trusts the table after a clean
    // shutdown (the async queue is handed over by the device).
    if (this.flavour === 'sync') this.sync.fold();
  }

  /**
   * Resolves once the backup has every change the host had acknowledged at the call, or
   * after `maxMs` (`tandem verify` of a running pair). Sync: at once, such a write
   * completed on both. Async: once every change queued by then is shipped.
   */
  async caughtUp(maxMs: number): Promise<void> {
    const { queue } = this.parts;
    const mark = queue.newestSeq;
    const deadline = Date.now() + maxMs;
    while (this.flavour === 'async' && this.hooks.active() && (queue.changes[0]?.seq ?? Infinity) <= mark && Date.now() < deadline) {
      this.shipper.kick();
      await new Promise((r) => setTimeout(r, 2));
    }
  }

  /** Ships most of the queue (async) ahead of a switchover's hold, for at most `maxMs`. */
  async predrain(maxMs: number): Promise<void> {
    const deadline = Date.now() + maxMs;
    while (this.flavour === 'async' && this.hooks.active() && this.parts.queue.unshippedCount > PREDRAIN_LEFT && Date.now() < deadline) {
      this.shipper.kick();
      // The shipper's loop runs on while host writes come faster than the link takes them (or
      // a send is stuck): waited for only until the deadline. It used to be waited for whole,
      // and a switchover over a slow link under load never reached its hold.
      await waitAtMost(this.shipper.idle(), deadline - Date.now());
      await new Promise((r) => setImmediate(r));
    }
  }

  /**
   * Leaving continuous mirroring (no host change in flight on it any more): what is queued
   * or not known durable on the backup is marked in the delta table, durably, and its
   * activity-log extents may cool.
   */
  async fold(): Promise<Folded> {
    const { queue, table } = this.parts;
    // A batch in flight may still reach the backup: its changes are marked, the next pass sends them again.
    await this.shipper.idle();
    const oldestAt = queue.oldestAt;
    const { unshipped, unconfirmed } = await queue.drainAll();
    for (const c of unshipped) table.note(c.offset, c.length);
    unconfirmed.forEach((offset, length) => table.note(offset, length));
    this.sync.fold();
    // The marks are durable before the extents they cover may cool.
    await table.persist();
    this.async.released(unshipped);
    unconfirmed.forEach(this.async.confirmed);
    return { changes: unshipped.length + unconfirmed.length, oldestAt };
  }

  /** The engine closes: nothing more is shipped (a batch in flight is not waited for). */
  stop(): void {
    this.shipper.stop();
  }

  get inflow(): RateMeter {
    return this.async.inflow;
  }

  get shippedRate(): RateMeter {
    return this.shipper.shippedRate;
  }

  get redundancy(): number {
    return this.async.redundancy.ratio;
  }

  get oldestPendingAt(): number | undefined {
    return this.async.oldestPendingAt;
  }

  /**
   * The link's and the queue's figures for the criteria and status (`now`: sample the rates).
   * A sample after the peer may have changed under the link since it was bound (a restore
   * there, or a reconnect: maybe another process, another disk) finds the link down whatever
   * succeeded since, so the engine binds again and resynchronises what differs.
   */
  figures(now: number | undefined): ReplicationFigures {
    const health = this.parts.link.health();
    const { inflow, shippedRate: shipped } = this;
    const peerChanged = now !== undefined && this.parts.binding.takePeerChange();
    return {
      linkUp: health.up && !peerChanged,
      rttMs: health.rttMs,
      writeLatencyMs: health.writeLatencyMs,
      inflowBytesPerSec: now === undefined ? inflow.bytesPerSec : inflow.sample(now),
      flushBytesPerSec: now === undefined ? shipped.bytesPerSec : shipped.sample(now),
      journalFill: this.parts.queue.fill,
      redundancy: this.redundancy,
    };
  }
}
