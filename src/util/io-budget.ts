/**
 * Runs I/O tasks concurrently within a budget: at most `tasks` in flight and at most `bytes`
 * of their buffers (a function: a pace that changes as it measures), one task always
 * allowed. `start` waits for room, then starts the task without waiting for it; `drain`
 * waits for all and throws the first failure (after which `start` throws). Measures the
 * time with at least one task in flight.
 *
 * A count and waiters woken as each task ends, not a Set of the tasks nor Promise.race over
 * them: a race adds a reaction to every task in flight per wait (up to tasks² a window, each
 * kept until its task ends), and a Set whose entries come and go rebuilds its table, which
 * keeps later entries alive through young collections once it is old (docs/performance.md).
 */
export class IoBudget {
  private running = 0;
  private used = 0;
  /** Woken as each task ends (waiting for room, or the drain): they look again. */
  private waiters: Array<() => void> = [];
  private failure: { error: unknown } | undefined;
  private busySince = 0;
  /** Time with at least one task in flight, in ms. */
  busyMs = 0;

  constructor(
    private readonly tasks: number,
    private readonly bytes: () => number,
  ) {}

  async start(bytes: number, task: () => Promise<void>): Promise<void> {
    while (!this.failure && this.running > 0 && (this.running >= this.tasks || this.used + bytes > this.bytes())) await this.nextEnd();
    if (this.failure) throw this.failure.error;
    const started = task();
    if (this.running++ === 0) this.busySince = performance.now();
    this.used += bytes;
    const ended = (): void => {
      this.used -= bytes;
      if (--this.running === 0) this.busyMs += performance.now() - this.busySince;
      const waiters = this.waiters;
      this.waiters = [];
      for (const w of waiters) w();
    };
    started.then(ended, (error: unknown) => {
      this.failure ??= { error };
      ended();
    });
  }

  async drain(): Promise<void> {
    while (this.running > 0) await this.nextEnd();
    if (this.failure) throw this.failure.error;
  }

  private nextEnd(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }
}
