/** Counts operations in progress and tells waiters when none is left. */
export class InflightCounter {
  private count = 0;
  private waiters: Array<() => void> = [];

  get active(): number {
    return this.count;
  }

  /** Runs `op`, counted while it runs. */
  async track<T>(op: () => Promise<T>): Promise<T> {
    this.count++;
    try {
      return await op();
    } finally {
      if (--this.count === 0) this.wake();
    }
  }

  /** Resolves once no counted operation is in progress (at once when none is). */
  idle(): Promise<void> {
    if (this.count === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}
