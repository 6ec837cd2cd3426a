/**
 * How the shipper's loop waits: for an answer, or until woken. New changes wake it once the
 * current I/O phase is done (setImmediate), not in that phase's microtasks: the host's
 * answers for the commands of the phase leave first (shipping does not delay them), and
 * the changes applied during the phase go in one batch, not one each (A/B: median +5% async
 * IOPS, within the noise of single rounds; docs/performance.md, sixteenth session). A stop
 * or a settled confirmation wakes it at once.
 */
export class LoopWaker {
  private wake: (() => void) | undefined;
  private scheduled = false;

  /** Whether `settled` settled (true) before the loop was woken (false). */
  async answeredOrWoken(settled: Promise<unknown>): Promise<boolean> {
    const woken = new Promise<false>((resolve) => (this.wake = () => resolve(false)));
    return Promise.race([settled.then(() => true), woken]).finally(() => (this.wake = undefined));
  }

  /** Wakes a waiting loop now. */
  now(): void {
    this.wake?.();
  }

  /** Wakes a waiting loop once the current I/O phase is done; several calls meanwhile wake it once. */
  soon(): void {
    if (!this.wake || this.scheduled) return;
    this.scheduled = true;
    setImmediate(this.wakeScheduled);
  }

  private readonly wakeScheduled = (): void => {
    this.scheduled = false;
    // Whichever wait is current then: a wait that began since is woken for nothing, and looks again.
    this.wake?.();
  };
}
