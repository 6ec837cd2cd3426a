/**
 * Readers of points (reads, exports) against the store's control tasks that renumber or
 * drop points (prune, restore): any number of readers at once, or one exclusive task; an
 * exclusive task waits for the readers in progress, and new readers wait for it. The point
 * such a task removes is named while it runs, so a new exposure of it can be refused.
 */
export class ReaderExclusion {
  private readers = 0;
  private readerWaiters: Array<() => void> = [];
  private exclusive: Promise<void> | undefined;
  /** The point the exclusive task in progress removes, once past sparing it. */
  private removed: number | undefined;

  /** The exclusive task in progress removes point `id`, whatever asks now (until the task ends). */
  removes(id: number): void {
    this.removed = id;
  }

  /** Whether the exclusive task in progress removes point `id`. */
  removing(id: number): boolean {
    return this.removed === id;
  }

  async read<T>(fn: () => Promise<T>): Promise<T> {
    while (this.exclusive) await this.exclusive;
    this.readers++;
    try {
      return await fn();
    } finally {
      this.leave();
    }
  }

  /** Only one caller at a time (the store's control tasks run serially). */
  async exclusively<T>(fn: () => Promise<T>): Promise<T> {
    let release!: () => void;
    this.exclusive = new Promise<void>((r) => (release = r));
    try {
      while (this.readers > 0) await new Promise<void>((r) => this.readerWaiters.push(r));
      return await fn();
    } finally {
      this.exclusive = undefined;
      this.removed = undefined;
      release();
    }
  }

  private leave(): void {
    if (--this.readers > 0) return;
    const waiters = this.readerWaiters;
    this.readerWaiters = [];
    for (const w of waiters) w();
  }
}
