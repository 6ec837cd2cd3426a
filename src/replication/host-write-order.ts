/**
 * The order host changes reach the image in: overlapping changes one after another (so the
 * primary, the journal and the backup apply them in one order), all of them held while a
 * pass fixes its point in time, and each preserved for the pass in progress (copy-on-write)
 * before it lands. Counts changes in progress so a hold can wait for them to finish.
 */
import { InflightCounter } from '../util/inflight-counter.js';
import { RangeLocks } from '../util/range-locks.js';
import type { PassSnapshot } from './pass-snapshot.js';

interface Ranged {
  offset: number;
  length: number;
}

export class HostWriteOrder {
  private readonly locks = new RangeLocks();
  /** Set while host changes must wait. */
  private gate: Promise<void> | undefined;
  private release: () => void = () => undefined;
  /** Holds in progress: the gate opens when the last ends. */
  private holds = 0;
  private readonly inflight = new InflightCounter();
  /** The copy-on-write view of the pass in progress: changes preserve its chunks first. */
  snapshot: PassSnapshot | undefined;

  /** Applies `op` in its turn: `apply` is made once by the caller (no closure per write). */
  run<O extends Ranged>(op: O, apply: (op: O) => Promise<void>): Promise<void> {
    // The common case (no overlap, no hold, no pass preserving chunks) without a promise per
    // step: this runs for every host write, and each promise costs the collector.
    if (!this.gate && !this.snapshot) {
      const release = this.locks.tryAcquire(op.offset, op.length);
      if (release) {
        const done = this.inflight.trackCall(apply, op);
        // Registered before the caller's own reactions: the range is free again when they run.
        done.then(release, release);
        return done;
      }
    }
    return this.runWaiting(op, apply);
  }

  private async runWaiting<O extends Ranged>(op: O, apply: (op: O) => Promise<void>): Promise<void> {
    const { offset, length } = op;
    const release = await this.locks.acquire(offset, length);
    try {
      // A loop, not an if: another hold may have begun by the time this one's waiters wake.
      while (this.gate) await this.gate;
      await this.inflight.track(async () => {
        const preserving = this.snapshot?.beforeWrite(offset, length);
        if (preserving) await preserving;
        await apply(op);
      });
    } finally {
      release();
    }
  }

  /**
   * Host changes wait at the gate while `fn` runs, once those already in progress are done.
   * Holds overlap: one begun inside another (a pass frozen under a switchover's hold), or
   * beside it (a recovery point's hold during a switchover, a restore during a promotion),
   * runs at once, and the gate opens only when the last of them ends. It used to open when
   * the first ended: host writes then ran, and were acknowledged, during the other's drain.
   */
  async holding<T>(fn: () => Promise<T>): Promise<T> {
    if (this.holds++ === 0) this.gate = new Promise((r) => (this.release = r));
    try {
      // Nothing new starts at the gate: only the changes already in progress (none, inside another hold) are waited for.
      await this.inflight.idle();
      return await fn();
    } finally {
      if (--this.holds === 0) {
        this.gate = undefined;
        this.release();
      }
    }
  }
}
