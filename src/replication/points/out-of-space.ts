/**
 * What preserving for recovery points does when the disk is full. The copy-on-write for
 * the newest point cannot complete, and the overwrite it guards must not go ahead without
 * it; rather than stall replication on old points, the backup gives points up, oldest
 * first (as an overflowing LVM snapshot is invalidated, but deliberately and in order),
 * and tries again after each. The newest point — the newest both nodes hold — goes only
 * when nothing else is left; an exposed point never goes (its exposure pins it, unexpose
 * releases it). When nothing may go the failure stands: the write fails as out of space,
 * and the primary handles it as any failed backup write.
 */
import { isOutOfSpace } from '../../block/errors.js';
import type { PointImages } from './backup-points.js';

/** The order points are given up in: the older ones oldest first, then the newest; never a kept one. */
export function pointsToGiveUp(ids: readonly number[], kept: ReadonlySet<number>): number[] {
  return [...ids.slice(0, -1), ...ids.slice(-1)].filter((id) => !kept.has(id));
}

/** What giving up points needs of the store (PointStore). */
export interface SpaceReclaimable extends Pick<PointImages, 'beforeOverwrite' | 'list'> {
  /** False, nothing dropped, when `spared` names the point once its drop may start. */
  dropForSpace(id: number, spared?: (id: number) => boolean): Promise<boolean>;
}

export class PointsGivenUpForSpace implements Pick<PointImages, 'beforeOverwrite'> {
  /** Points given up so far: a failure from before the last one is retried, not answered with another. */
  private givenUp = 0;
  private givingUp: Promise<boolean> | undefined;

  /** `kept`: the points that must stay (the exposed ones). */
  constructor(
    private readonly store: SpaceReclaimable,
    private readonly kept: () => ReadonlySet<number>,
  ) {}

  beforeOverwrite(offset: number, length: number): Promise<void> | undefined {
    const before = this.givenUp;
    return this.store.beforeOverwrite(offset, length)?.catch((e: unknown) => this.afterFailure(e, before, offset, length));
  }

  private async afterFailure(e: unknown, before: number, offset: number, length: number): Promise<void> {
    if (!isOutOfSpace(e)) throw e;
    if (before === this.givenUp && !(await this.giveUpOne())) throw e;
    await this.beforeOverwrite(offset, length);
  }

  /** One point given up, shared by every failure that waits for it; false when none may go. */
  private giveUpOne(): Promise<boolean> {
    this.givingUp ??= (async () => {
      const ids = this.store.list().map((p) => p.id);
      // `kept` asked again for each point as it goes, not once: a point may be exposed while others are tried.
      const spared = (id: number) => this.kept().has(id);
      for (const id of pointsToGiveUp(ids, this.kept())) {
        try {
          if (!(await this.store.dropForSpace(id, spared))) continue;
        } catch (e) {
          // Gone since it was listed (a retention prune queued before this drop): its space is free all the same.
          const gone = !this.store.list().some((p) => p.id === id);
          // Giving up a point that is not the oldest moves data (prune-move.ts): that may not fit either.
          if (!gone && !isOutOfSpace(e)) throw e;
          if (!gone) continue;
        }
        this.givenUp++;
        return true;
      }
      return false;
    })().finally(() => (this.givingUp = undefined));
    return this.givingUp;
  }
}
