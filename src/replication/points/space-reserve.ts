/**
 * A few blocks kept allocated under points/ so that a point can be given up on a full disk:
 * its catalogue must be written before its files go, and a full disk has no block for the
 * new catalogue (ZFS keeps "slop space" for the same reason). Released just before such a
 * catalogue write, filled again once the point's files are gone. Nothing refers to it, so a
 * crash that leaves it short or absent harms nothing: open fills it again.
 */
import type { DurableFiles } from '../../block/durable-file.js';
import type { Logger } from '../../util/log.js';

export const RESERVE_FILE = 'reserve';
/** Beyond the catalogue's own size: its growth by one drop, and the directory's blocks. */
const RESERVE_SLACK_BYTES = 64 * 1024;

export class SpaceReserve {
  /** Whether the last fill failed (logged once until one succeeds). */
  private short = false;

  constructor(
    private readonly files: DurableFiles,
    private readonly path: string,
    private readonly log: Logger,
  ) {}

  /** The reserve for a catalogue of `catalogueBytes`; best effort (a disk too full for it is logged, never thrown). */
  async fill(catalogueBytes: number): Promise<void> {
    try {
      const fh = await this.files.open(this.path, 'w', 0o600);
      try {
        // Written zeroes, not a hole: the blocks must be allocated now to be free later.
        await fh.writeFile(Buffer.alloc(catalogueBytes + RESERVE_SLACK_BYTES));
        await fh.datasync();
      } finally {
        await fh.close();
      }
      this.short = false;
    } catch (e) {
      await this.release().catch(() => undefined);
      if (!this.short) this.log.warn({ event: 'point-reserve-short', error: (e as Error).message }, 'no room for the points\' space reserve: a point may not be given up on a full disk');
      this.short = true;
    }
  }

  /** `fn` with the reserve's blocks free (its catalogue fits a full disk), filled again after for the catalogue then. */
  async releasedFor<T>(fn: () => Promise<T>, catalogueBytes: () => number): Promise<T> {
    await this.release();
    try {
      return await fn();
    } finally {
      await this.fill(catalogueBytes());
    }
  }

  /** Frees the reserve's blocks (already gone is fine). */
  async release(): Promise<void> {
    try {
      await this.files.unlink(this.path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }
}
