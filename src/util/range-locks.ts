interface Held {
  start: number;
  end: number;
}

/**
 * Serialises overlapping ranges (LBAs in the SCSI layer, bytes in replication). Waiters
 * re-check when any range is released; the held list stays short (one entry per in-flight
 * locked command).
 */
export class RangeLocks {
  private readonly held: Held[] = [];
  private waiters: Array<() => void> = [];

  acquire(lba: number, blocks: number): Promise<() => void> {
    const now = this.tryAcquire(lba, blocks);
    if (now) return Promise.resolve(now);
    return new Promise((resolve) => {
      const attempt = (): void => {
        const release = this.tryAcquire(lba, blocks);
        if (release) resolve(release);
        else this.waiters.push(attempt);
      };
      this.waiters.push(attempt);
    });
  }

  /** The range's release function if no held range overlaps it now, else undefined (nothing waits). */
  tryAcquire(lba: number, blocks: number): (() => void) | undefined {
    const start = lba;
    const end = lba + Math.max(blocks, 1);
    for (const h of this.held) if (h.start < end && start < h.end) return undefined;
    const range: Held = { start, end };
    this.held.push(range);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.held.splice(this.held.indexOf(range), 1);
      if (this.waiters.length === 0) return;
      const waiting = this.waiters;
      this.waiters = [];
      // Wake waiters on a later turn: the releasing command finishes its completion
      // first, and a long chain of waiters never recurses on one stack.
      setImmediate(() => {
        for (const w of waiting) w();
      });
    };
  }

  /** Number of ranges currently held (for tests and diagnostics). */
  get size(): number {
    return this.held.length;
  }
}
