/**
 * The recovery points a backup takes of its image, at the positions its primary marks in
 * the replication stream (REPLICATION CONTROL / POINT), and the copy-on-write every
 * overwrite of the image owes the newest point. The store (point-store.ts) keeps them; this
 * part decides when: only as a backup, with the image's writers held, each id once.
 */
import { ReplicationSequenceError, type PointMarker } from '../../replica-protocol/index.js';
import type { Logger } from '../../util/log.js';
import type { HostWriteOrder } from '../host-write-order.js';
import { DEFAULT_RETENTION, formatRetention, type RetentionPolicy } from './retention.js';

export interface PointInfo {
  id: number;
  /** The primary's time of the point (ms since the epoch). */
  at: number;
  origin: PointMarker['origin'];
  label?: string;
  /** Bytes this point's copy-on-write store holds. */
  bytes: number;
}

/** What the engine needs of the point store (point-store.ts). */
export interface PointImages {
  take(point: PointMarker): Promise<void>;
  beforeOverwrite(offset: number, length: number): Promise<void> | undefined;
  newest(): PointInfo | undefined;
  /** The highest id the store ever took, points since removed (restored over, pruned, dropped for space) included. */
  lastTaken(): number | undefined;
  list(): PointInfo[];
  exportTo(id: number, path: string): Promise<{ bytes: number; allocatedBytes: number }>;
  /** Rolls the image back (no writer may run); returns the byte ranges it changed, told to `beforeCommit` before it commits. */
  restore(id: number, beforeCommit?: (changed: ReadonlyArray<{ offset: number; length: number }>) => Promise<void>): Promise<Array<{ offset: number; length: number }>>;
  /** The point's image of [offset, offset + buf.length). */
  read(id: number, buf: Buffer, offset: number): Promise<void>;
  /** The extent of the point's image from `offset`: unmapped where it surely reads zeroes. */
  allocation(id: number, offset: number, maxLength: number): Promise<{ mapped: boolean; length: number }>;
  /** Prunes what the policy does not keep, but no point `isProtected` names when its turn comes; returns the ids pruned. */
  applyRetention(policy: RetentionPolicy, now: number, isProtected?: (id: number) => boolean): Promise<number[]>;
  /** Whether the point is being removed (a prune past asking whether to spare it). */
  removing(id: number): boolean;
}

export class BackupPoints {
  /** Points exposed as LUNs now (with how many exposures each): neither pruned nor dropped by a restore. */
  private readonly pinned = new Map<number, number>();
  /** The point a restore in progress rolls back to: the points after it are being dropped. */
  private restoringTo: number | undefined;

  constructor(
    private readonly store: PointImages,
    private readonly order: HostWriteOrder,
    private readonly isBackup: () => boolean,
    private readonly log: Logger,
    private retention: RetentionPolicy = DEFAULT_RETENTION,
    private readonly clock: () => number = Date.now,
  ) {}

  /** A new retention policy, applied at once (and after every point from then on). */
  async setRetention(policy: RetentionPolicy): Promise<number[]> {
    this.retention = policy;
    return this.prune();
  }

  /**
   * Prunes what the policy does not keep; the newest point (the pair's newest common one)
   * never goes, nor an exposed one — asked as each point's turn comes, so an exposure made
   * while retention runs keeps its point.
   */
  private async prune(): Promise<number[]> {
    const kept = (id: number) => this.pinned.has(id) || this.store.newest()?.id === id;
    const pruned = await this.store.applyRetention(this.retention, this.clock(), kept);
    if (pruned.length > 0) this.log.info({ event: 'points-pruned', ids: pruned, retention: formatRetention(this.retention) }, `recovery points pruned: ${pruned.join(', ')}`);
    return pruned;
  }

  /**
   * POINT from the primary: every change it sent before is applied here; the point is
   * durable when this resolves. The retention prune after it runs after the answer.
   */
  async take(point: PointMarker): Promise<void> {
    if (!this.isBackup()) throw new ReplicationSequenceError('only a backup takes recovery points from its primary');
    const newest = this.store.newest();
    // The same point again (the primary did not hear the answer): it is taken already.
    if (newest?.id === point.id) return;
    if (newest && point.id < newest.id) throw new ReplicationSequenceError(`point ${point.id} is older than this node's newest point ${newest.id}`);
    await this.order.holding(() => this.store.take(point));
    this.log.info({ event: 'point-taken', id: point.id, at: point.at, origin: point.origin, label: point.label }, `recovery point ${point.id} taken`);
    // Answered now: a prune may move GBs, longer than the primary waits for the answer (a timeout is a link failure to
    // it). The prune is queued in the store before this returns, so a close runs after it; its failure is logged, the point stays.
    void this.prune().catch((e: unknown) => this.log.error({ event: 'points-prune-failed', error: (e as Error).message }, 'pruning recovery points failed'));
  }

  /** Before the image changes under [offset, offset+length): resolves once what the newest point needs is preserved. */
  beforeOverwrite(offset: number, length: number): Promise<void> | undefined {
    return this.store.beforeOverwrite(offset, length);
  }

  get newest(): PointInfo | undefined {
    return this.store.newest();
  }

  /** No point this node takes or receives from now on may have an id at or below this (0: none taken yet). */
  get lastTaken(): number {
    return Math.max(this.store.lastTaken() ?? 0, this.store.newest()?.id ?? 0);
  }

  list(): PointInfo[] {
    return this.store.list();
  }

  /** Kept while it is exported, as an exposed point: the store reads it a piece at a time, and retention or a full disk may remove points between two pieces. */
  async exportTo(id: number, path: string): Promise<{ bytes: number; allocatedBytes: number }> {
    // One the store does not hold (or is removing) gets the store's own error, which says why.
    const kept = this.store.list().some((p) => p.id === id) && !this.store.removing(id);
    if (kept) this.pinned.set(id, (this.pinned.get(id) ?? 0) + 1);
    try {
      return await this.store.exportTo(id, path);
    } finally {
      if (kept) this.unpin(id);
    }
  }

  allocation(id: number, offset: number, maxLength: number): Promise<{ mapped: boolean; length: number }> {
    return this.store.allocation(id, offset, maxLength);
  }

  read(id: number, buf: Buffer, offset: number): Promise<void> {
    return this.store.read(id, buf, offset);
  }

  /** The point is exposed as a LUN: kept until unpinned as often. */
  pin(id: number): void {
    if (!this.store.list().some((p) => p.id === id)) throw new PointRefusedError(`this node holds no point ${id}`);
    // Its prune asked whether it is exposed already: pinned now, it would be gone under the exposure.
    if (this.store.removing(id)) throw new PointRefusedError(`point ${id} is being removed (pruned or given up for space): expose another`);
    // A restore in progress asked whether later points are exposed already: they go with it.
    if (this.restoringTo !== undefined && id > this.restoringTo) throw new PointRefusedError(`point ${id} is being dropped by a restore to ${this.restoringTo}: expose another`);
    this.pinned.set(id, (this.pinned.get(id) ?? 0) + 1);
  }

  /** The points exposed now: never pruned, nor given up for space. */
  exposedIds(): ReadonlySet<number> {
    return new Set(this.pinned.keys());
  }

  unpin(id: number): void {
    const n = this.pinned.get(id) ?? 0;
    if (n <= 1) this.pinned.delete(id);
    else this.pinned.set(id, n - 1);
  }

  /**
   * Throws the PointRefusedError a restore to `id` would meet now, before anything moved
   * (a group restore asks every LUN first, so a refusal rolls none back).
   */
  refuseRestore(id: number): void {
    if (!this.isBackup()) throw new PointRefusedError(RESTORE_ON_PRIMARY);
    // A restore drops the points after `id`: an exposed one would vanish under its readers.
    const exposed = [...this.pinned.keys()].filter((p) => p > id);
    if (exposed.length > 0) throw new PointRefusedError(`restore: point${exposed.length > 1 ? 's' : ''} ${exposed.join(', ')} after ${id} ${exposed.length > 1 ? 'are' : 'is'} exposed; unexpose first`);
  }

  /**
   * Rolls the image back to point `id`, with the image's writers held; `changed` is told
   * every range that moved, and resolves once they are durably marked (so the pair
   * resynchronises them), before the restore commits: marked after it, a crash in between
   * left the rolled-back chunks unmarked for good.
   */
  async restore(id: number, changed: (ranges: ReadonlyArray<{ offset: number; length: number }>) => Promise<void>): Promise<{ changedBytes: number }> {
    this.refuseRestore(id);
    let changedBytes = 0;
    await this.order.holding(async () => {
      // Checked again under the hold: a promotion may have ended while the restore waited for it.
      this.refuseRestore(id);
      this.restoringTo = id;
      try {
        await this.store.restore(id, async (ranges) => {
          for (const r of ranges) changedBytes += r.length;
          await changed(ranges);
        });
      } finally {
        this.restoringTo = undefined;
      }
    });
    // The store logs the one point-restored event.
    return { changedBytes };
  }
}

export const RESTORE_ON_PRIMARY = 'restore: this node is the primary; demote it (or promote the other node) first';

/** A point action this node cannot take now (its role): one line, exit 1. */
export class PointRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PointRefusedError';
  }
}
