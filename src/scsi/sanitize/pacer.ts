/**
 * Keeps a background operation at or below a byte rate, so a sanitize does not starve
 * other LUs sharing the disk (and takes long enough to be observed, as on real media).
 */
export interface Clock {
  /** Milliseconds, monotonic. */
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const realClock: Clock = {
  now: () => performance.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export class Pacer {
  private readonly start: number;
  private bytes = 0;

  /** `bytesPerSecond` undefined or 0: no limit. */
  constructor(
    private readonly bytesPerSecond: number | undefined,
    private readonly clock: Clock = realClock,
  ) {
    this.start = clock.now();
  }

  /** Counts `bytes` as done and waits until the rate allows the next ones. */
  async account(bytes: number): Promise<void> {
    if (!this.bytesPerSecond) return;
    this.bytes += bytes;
    const due = this.start + (this.bytes / this.bytesPerSecond) * 1000;
    const wait = due - this.clock.now();
    if (wait > 0) await this.clock.sleep(wait);
  }
}
