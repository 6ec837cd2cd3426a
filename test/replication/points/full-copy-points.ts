/**
 * A recovery-point store for engine tests: each point is a full copy of the image taken
 * when the point is (so it needs no copy-on-write). The real store (point-store.ts) is
 * tested on its own; this one lets the engine's tests check where and when points are taken.
 */
import type { BlockDevice } from '../../../src/block/device.js';
import type { PointMarker } from '../../../src/replica-protocol/index.js';
import type { PointImages, PointInfo } from '../../../src/replication/points/backup-points.js';
import { retainedPoints, type RetentionPolicy } from '../../../src/replication/points/retention.js';

export class FullCopyPoints implements PointImages {
  readonly images = new Map<number, Buffer>();
  private readonly infos: PointInfo[] = [];
  /** The next take fails with this (a full disk, say), taking nothing. */
  failNextTake: Error | undefined;

  constructor(private readonly image: BlockDevice) {}

  async take(point: PointMarker): Promise<void> {
    const failure = this.failNextTake;
    this.failNextTake = undefined;
    if (failure) throw failure;
    const copy = Buffer.alloc(this.image.size);
    await this.image.read(copy, 0);
    this.images.set(point.id, copy);
    this.infos.push({ ...point, bytes: copy.length });
    this.last = Math.max(this.last, point.id);
  }

  /** As the real store's catalogue: the highest id ever taken, whatever was removed since. */
  private last = 0;

  lastTaken(): number | undefined {
    return this.last || undefined;
  }

  beforeOverwrite(): undefined {
    return undefined;
  }

  newest(): PointInfo | undefined {
    return this.infos[this.infos.length - 1];
  }

  list(): PointInfo[] {
    return [...this.infos];
  }

  async exportTo(): Promise<{ bytes: number; allocatedBytes: number }> {
    throw new Error('not in this test store');
  }

  async read(id: number, buf: Buffer, offset: number): Promise<void> {
    this.images.get(id)!.copy(buf, 0, offset, offset + buf.length);
  }

  /** A full copy maps every byte. */
  async allocation(_id: number, offset: number, maxLength: number): Promise<{ mapped: boolean; length: number }> {
    return { mapped: true, length: Math.min(maxLength, this.image.size - offset) };
  }

  async applyRetention(policy: RetentionPolicy, now: number, isProtected?: (id: number) => boolean): Promise<number[]> {
    const keep = retainedPoints(this.infos, policy, now, new Set(this.infos.map((p) => p.id).filter((id) => isProtected?.(id))));
    const pruned = this.infos.filter((p) => !keep.has(p.id)).map((p) => p.id);
    for (const id of pruned) this.images.delete(id);
    this.infos.splice(0, this.infos.length, ...this.infos.filter((p) => keep.has(p.id)));
    return pruned;
  }

  /** Its prunes take no turn: none is ever under way when asked. */
  removing(): boolean {
    return false;
  }

  async restore(id: number): Promise<Array<{ offset: number; length: number }>> {
    const copy = this.images.get(id)!;
    const now = Buffer.alloc(this.image.size);
    await this.image.read(now, 0);
    const changed: Array<{ offset: number; length: number }> = [];
    for (let at = 0; at < copy.length; at += 4096) {
      if (!copy.subarray(at, at + 4096).equals(now.subarray(at, at + 4096))) {
        await this.image.write(copy.subarray(at, at + 4096), at);
        changed.push({ offset: at, length: 4096 });
      }
    }
    for (let i = this.infos.length - 1; i >= 0 && this.infos[i]!.id > id; i--) this.images.delete(this.infos.pop()!.id);
    return changed;
  }
}
