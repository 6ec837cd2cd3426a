/**
 * A replicated volume's recovery points as one node sees them: the store attached at open
 * (taken from the primary's markers while the node is a backup), listed, exported, exposed
 * as a read-only device, restored (what changed is marked in the change map, so the pair
 * resynchronises it), and its retention policy.
 */
import type { Logger } from '../../util/log.js';
import type { HostWriteOrder } from '../host-write-order.js';
import type { PointsView } from '../status.js';
import { BackupPoints, PointRefusedError, type PointImages, type PointInfo } from './backup-points.js';
import { PointImageDevice } from './point-image-device.js';
import type { RetentionPolicy } from './retention.js';

export interface NodePointsParts {
  /** Where the peer endpoint keeps the points it takes (PeerEndpoint). */
  holder: { readonly points: BackupPoints | undefined; attachPoints(points: BackupPoints): void };
  order: HostWriteOrder;
  isBackup: () => boolean;
  /** The change map: a restore marks what it changed. */
  table: { note(offset: number, length: number): void; persist(): Promise<void> };
  size: number;
  path: string;
  clock: () => number;
  log: Logger;
  /** The image was rolled back (the primary's session must learn it). */
  restored: () => void;
}

/**
 * Marks, durably, the ranges a restore changed in the change map, so the pair resynchronises
 * them: a restore's (or an open's, PointStoreOptions.beforeCommit) before it commits.
 */
export async function markRestored(table: NodePointsParts['table'], ranges: ReadonlyArray<{ offset: number; length: number }>): Promise<void> {
  for (const r of ranges) table.note(r.offset, r.length);
  await table.persist();
}

export class NodePoints {
  constructor(private readonly parts: NodePointsParts) {}

  /** The node keeps recovery points (its image preserves for them already): as a backup it takes the points its primary marks. */
  attach(store: PointImages, retention?: RetentionPolicy): void {
    const { holder, order, isBackup, log, clock } = this.parts;
    holder.attachPoints(new BackupPoints(store, order, isBackup, log, retention, clock));
  }

  /**
   * A restore a crash cut short was finished when the store opened: what it changed is
   * marked already (by `markRestored`, before the store committed it); the primary's session must learn the image changed.
   */
  restoredAtOpen(): void {
    this.parts.restored();
  }

  /** The retention policy, applied now and after every new point. */
  async setRetention(policy: RetentionPolicy): Promise<void> {
    await this.require().setRetention(policy);
  }

  /** This node's points (none when it keeps none). */
  list(): PointInfo[] {
    return this.parts.holder.points?.list() ?? [];
  }

  newest(): PointInfo | undefined {
    return this.parts.holder.points?.newest;
  }

  exportTo(id: number, path: string): Promise<{ bytes: number; allocatedBytes: number }> {
    return this.require().exportTo(id, path);
  }

  /** Point `id`'s image as a read-only device; the point is kept until `release` is called. */
  expose(id: number): { device: PointImageDevice; release: () => void } {
    const points = this.require();
    points.pin(id);
    let released = false;
    return {
      device: new PointImageDevice(points, id, this.parts.size, `${this.parts.path}@point-${id}`),
      release: () => {
        if (!released) points.unpin(id);
        released = true;
      },
    };
  }

  /** The points exposed now (kept even when the disk is full). */
  exposedIds(): ReadonlySet<number> {
    return this.parts.holder.points?.exposedIds() ?? new Set();
  }

  /** Throws the refusal a restore to `id` would meet now (see BackupPoints.refuseRestore). */
  refuseRestore(id: number): void {
    this.require().refuseRestore(id);
  }

  /**
   * Rolls this backup's image back to a point. What changed is marked in its change map,
   * and its primary's session is told (a unit attention), so the primary binds again and
   * resynchronises exactly those chunks (and its own changes) — unless this node is
   * promoted first, when they stay this node's history.
   */
  async restore(id: number): Promise<{ changedBytes: number }> {
    const result = await this.require().restore(id, (ranges) => markRestored(this.parts.table, ranges));
    this.parts.restored();
    return result;
  }

  /** For status: undefined when the node keeps no points. */
  view(lastId: number): PointsView | undefined {
    const points = this.parts.holder.points;
    if (!points) return undefined;
    const n = points.newest;
    return { held: points.list().length, newest: n && { id: n.id, at: n.at, origin: n.origin, ...(n.label !== undefined ? { label: n.label } : {}) }, lastId };
  }

  private require(): BackupPoints {
    const points = this.parts.holder.points;
    if (!points) throw new PointRefusedError('this node keeps no recovery points');
    return points;
  }
}
