/** Bytes per second, smoothed over samples taken at the engine's tick. */
export class RateMeter {
  private bytes = 0;
  private lastSampleMs: number | undefined;
  private rate = 0;

  constructor(private readonly weight = 0.5) {}

  add(bytes: number): void {
    this.bytes += bytes;
  }

  /** Folds the bytes since the last sample into the rate. */
  sample(nowMs: number): number {
    if (this.lastSampleMs !== undefined && nowMs > this.lastSampleMs) {
      const instant = (this.bytes * 1000) / (nowMs - this.lastSampleMs);
      this.rate += this.weight * (instant - this.rate);
    }
    this.bytes = 0;
    this.lastSampleMs = nowMs;
    return this.rate;
  }

  get bytesPerSec(): number {
    return this.rate;
  }
}
