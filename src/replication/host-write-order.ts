/**
 * The order host changes reach the image in: overlapping changes one after another (so the
 * primary, the journal and the backup apply them in one order), all of them held while a
 * pass fixes its point in time, and each preserved for the pass in progress (copy-on-write)
 * before it lands. Counts changes in progress so a hold can wait for them to finish.
 */
import { InflightCounter } from '../util/inflight-counter.js';
import { RangeLocks } from '../util/range-locks.js';
import type { PassSnapshot } from './pass-snapshot.js';

export class HostWriteOrder {
  private readonly locks = new RangeLocks();
  /** Set while host changes must wait. */
  private gate: Promise<void> | undefined;
  private held = false;
  private readonly inflight = new InflightCounter();
  /** The copy-on-write view of the pass in progress: changes preserve its chunks first. */
  snapshot: PassSnapshot | undefined;

  run(offset: number, length: number, change: () => Promise<void>): Promise<void> {
    // The common case (no overlap, no hold, no pass preserving chunks) without a promise per
    // step: this runs for every host write, and each promise costs the collector.
    if (!this.gate && !this.snapshot) {
      const release = this.locks.tryAcquire(offset, length);
      if (release) {
        return this.inflight.track(change).then(release, (e: unknown) => {
          release();
          throw e;
        });
      }
    }
    return this.runWaiting(offset, length, change);
  }

  private async runWaiting(offset: number, length: number, change: () => Promise<void>): Promise<void> {
    const release = await this.locks.acquire(offset, length);
    try {
      // A loop, not an if: another hold may have begun by the time this one's waiters wake.
      while (this.gate) await this.gate;
      await this.inflight.track(async () => {
        const preserving = this.snapshot?.beforeWrite(offset, length);
        if (preserving) await preserving;
        await change();
      });
    } finally {
      release();
    }
  }

  /**
   * Host changes wait at the gate while `fn` runs, once those already in progress are done.
   * Nested calls (a pass inside the final catch-up) run under the outer hold.
   */
  async holding<T>(fn: () => Promise<T>): Promise<T> {
    if (this.held) return fn();
    let release!: () => void;
    this.gate = new Promise((r) => (release = r));
    this.held = true;
    try {
      await this.inflight.idle();
      return await fn();
    } finally {
      this.held = false;
      this.gate = undefined;
      release();
    }
  }
}
