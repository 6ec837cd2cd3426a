/**
 * `tandem point expose|unexpose`: a recovery point served as a read-only LUN of the same
 * target, added at run time (logged-in hosts get REPORTED LUNS DATA HAS CHANGED) and removed
 * the same way. Exposures live as long as the server: a restart serves none.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { PointActionLun, PointExposure } from '../replication/control/point-actions.js';
import { LogicalUnit, deriveIdentity } from '../scsi/logical-unit.js';
import type { ScsiTarget } from '../scsi/scsi-target.js';

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
  unit: LogicalUnit;
  release: () => void;
}

export class ServedPointExposure implements PointExposure {
  private readonly exposed: Exposed[] = [];

  /** `lunOf` finds the SCSI side of a control LUN (its target and settings). */
  constructor(private readonly lunOf: (l: PointActionLun) => ExposableLun | undefined) {}

  async expose(l: PointActionLun, id: number): Promise<number> {
    const served = this.lunOf(l);
    if (!served) throw new Error(`${l.target} LUN ${l.lun} is not served here`);
    const { device, release } = l.device.points.expose(id);
    try {
      // Beside the LUN's own metadata: the exposed LU's saved mode pages and reservations.
      const metaDir = join(served.metaDir, 'exposed', `point-${id}`);
      await mkdir(metaDir, { recursive: true });
      const lun = served.scsi.freeLun(1);
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
      this.exposed.push({ target: l.target, sourceLun: l.lun, id, lun, unit, release });
      return lun;
    } catch (e) {
      release();
      throw e;
    }
  }

  async unexpose(luns: readonly PointActionLun[], id: number): Promise<number[]> {
    const removed: number[] = [];
    for (const e of [...this.exposed]) {
      if (e.id !== id || !luns.some((l) => l.target === e.target && l.lun === e.sourceLun)) continue;
      const served = this.lunOf(luns.find((l) => l.target === e.target && l.lun === e.sourceLun)!);
      served?.scsi.removeUnit(e.lun);
      e.release();
      this.exposed.splice(this.exposed.indexOf(e), 1);
      removed.push(e.lun);
    }
    return removed;
  }

  /** At shutdown: the points are released (the targets close their units). */
  releaseAll(): void {
    for (const e of this.exposed.splice(0)) e.release();
  }
}
