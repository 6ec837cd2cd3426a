/**
 * `tandem point expose|unexpose`: a recovery point served as a read-only LUN of the same
 * target, added at run time (logged-in hosts get REPORTED LUNS DATA HAS CHANGED) and removed
 * the same way. Each replicated LUN's exposures are recorded beside it (exposure-record.ts),
 * so a restarted server serves them again at the same LUN numbers, pinned as before.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { PointActionLun, PointExposure } from '../replication/control/point-actions.js';
import { LogicalUnit, deriveIdentity } from '../scsi/logical-unit.js';
import type { ScsiTarget } from '../scsi/scsi-target.js';
import type { Logger } from '../util/log.js';
import { SerialQueue } from '../util/serial-queue.js';
import { loadExposures, saveExposures } from './exposure-record.js';

/** What an exposure needs of a replicated LUN beyond what the control API names. */
export interface ExposableLun {
  scsi: ScsiTarget;
  blockSize: 512 | 4096;
  metaDir: string;
}

interface Exposed {
  target: string;
  sourceLun: number;
  id: number;
  lun: number;
  release: () => void;
}

export class ServedPointExposure implements PointExposure {
  private readonly exposed: Exposed[] = [];
  /** Exposes and unexposes one at a time: each picks a free LUN number and rewrites its LUN's record. */
  private readonly changes = new SerialQueue();

  /** `lunOf` finds the SCSI side of a control LUN (its target and settings). */
  constructor(
    private readonly lunOf: (l: PointActionLun) => ExposableLun | undefined,
    private readonly log: Logger,
  ) {}

  expose(l: PointActionLun, id: number): Promise<number> {
    return this.changes.run(async () => {
      const served = this.servedOf(l);
      const e = await this.serve(l, served, id, served.scsi.freeLun(1));
      try {
        await this.record(l, served);
      } catch (err) {
        this.remove(e, served);
        throw err;
      }
      return e.lun;
    });
  }

  unexpose(luns: readonly PointActionLun[], id: number): Promise<number[]> {
    return this.changes.run(async () => {
      const removed: number[] = [];
      for (const l of luns) {
        const going = this.exposed.filter((e) => e.id === id && this.of(e, l));
        if (going.length === 0) continue;
        const served = this.servedOf(l);
        // The record first: a crash before the LUN goes leaves it unexposed at the next start.
        await this.record(l, served, going);
        for (const e of going) {
          this.remove(e, served);
          removed.push(e.lun);
        }
      }
      return removed;
    });
  }

  /**
   * At start: serves again what `l`'s record lists, at the same LUN numbers. A point the
   * node no longer holds, or a number a configured LUN took meanwhile, is logged (and the
   * record corrected); neither stops the server.
   */
  restore(l: PointActionLun): Promise<void> {
    return this.changes.run(async () => {
      const served = this.servedOf(l);
      const entries = await loadExposures(served.metaDir);
      for (const { id, lun: recorded } of entries) {
        const lun = served.scsi.unit(recorded) ? served.scsi.freeLun(1) : recorded;
        try {
          await this.serve(l, served, id, lun);
        } catch (e) {
          this.log.warn({ event: 'point-exposure-dropped', target: l.target, sourceLun: l.lun, id, lun: recorded, error: (e as Error).message }, `point ${id} is no longer exposed: ${(e as Error).message}`);
          continue;
        }
        this.log.info({ event: 'point-exposed-again', target: l.target, sourceLun: l.lun, id, lun, recordedLun: recorded }, `point ${id} served again as LUN ${lun}`);
      }
      const now = this.exposed.filter((e) => this.of(e, l));
      if (now.length !== entries.length || now.some((e, i) => e.lun !== entries[i]!.lun)) await this.record(l, served);
    });
  }

  /** At shutdown: the points are released (the targets close their units); the records stay for the next start. */
  releaseAll(): void {
    for (const e of this.exposed.splice(0)) e.release();
  }

  /** Serves point `id` of `l` as LUN `lun` (pinning it: the node must hold it). */
  private async serve(l: PointActionLun, served: ExposableLun, id: number, lun: number): Promise<Exposed> {
    const { device, release } = l.device.points.expose(id);
    try {
      // Beside the LUN's own metadata: the exposed LU's saved mode pages and reservations.
      const metaDir = join(served.metaDir, 'exposed', `point-${id}`);
      await mkdir(metaDir, { recursive: true });
      const unit = await LogicalUnit.create({
        lun,
        targetName: l.target,
        device,
        blockSize: served.blockSize,
        metaDir,
        // Its own identity: a multipath layer must not take it for a path to the live disk.
        identity: () => deriveIdentity(l.target, lun, device.path),
      });
      served.scsi.addUnit(unit);
      const e = { target: l.target, sourceLun: l.lun, id, lun, release };
      this.exposed.push(e);
      return e;
    } catch (e) {
      release();
      throw e;
    }
  }

  private remove(e: Exposed, served: ExposableLun): void {
    served.scsi.removeUnit(e.lun);
    e.release();
    this.exposed.splice(this.exposed.indexOf(e), 1);
  }

  /** Writes `l`'s record: its exposures now, less `without`. */
  private record(l: PointActionLun, served: ExposableLun, without: readonly Exposed[] = []): Promise<void> {
    return saveExposures(served.metaDir, this.exposed.filter((e) => this.of(e, l) && !without.includes(e)));
  }

  private of(e: Exposed, l: PointActionLun): boolean {
    return e.target === l.target && e.sourceLun === l.lun;
  }

  private servedOf(l: PointActionLun): ExposableLun {
    const served = this.lunOf(l);
    if (!served) throw new Error(`${l.target} LUN ${l.lun} is not served here`);
    return served;
  }
}
