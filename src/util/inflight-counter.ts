const invoke = <T>(op: () => T): T => op();

/** Counts operations in progress and tells waiters when none is left. */
export class InflightCounter {
  private count = 0;
  private waiters: Array<() => void> = [];

  get active(): number {
    return this.count;
  }

  /** Runs `op`, counted while it runs. */
  track<T>(op: () => T | PromiseLike<T>): Promise<T> {
    return this.trackCall(invoke, op);
  }

  /**
   * Runs `fn(arg)`, counted while it runs: a caller with a method made once and an argument
   * needs no closure per call (host writes pass here). One `then` on the op's own promise
   * rather than an async wrapper.
   */
  trackCall<A, T>(fn: (arg: A) => T | PromiseLike<T>, arg: A): Promise<T> {
    this.count++;
    let work: Promise<T>;
    try {
      work = Promise.resolve(fn(arg));
    } catch (e) {
      work = Promise.reject(e);
    }
    return work.then(this.left, this.failed) as Promise<T>;
  }

  // Made once: no closures per tracked operation.
  private readonly left = <T>(value: T): T => {
    this.leave();
    return value;
  };

  private readonly failed = (e: unknown): never => {
    this.leave();
    throw e;
  };

  /** Counts `op` until it settles, however; the caller keeps `op` itself (no promise is made for it but one reaction). */
  watch(op: Promise<unknown>): void {
    this.count++;
    op.then(this.settledOne, this.settledOne);
  }

  private readonly settledOne = (): void => this.leave();

  /**
   * Inside a counted operation: waits for `wait` uncounted, for what only a waiter for idle
   * can give (leaving continuous mirroring frees the activity-log extents a write waits for).
   */
  async aside<T>(wait: Promise<T>): Promise<T> {
    this.leave();
    try {
      return await wait;
    } finally {
      this.count++;
    }
  }

  /** Resolves once no counted operation is in progress (at once when none is). */
  idle(): Promise<void> {
    if (this.count === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private leave(): void {
    if (--this.count === 0) this.wake();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}
