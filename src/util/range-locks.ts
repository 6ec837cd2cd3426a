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
    const range: Held = { start: lba, end: lba + Math.max(blocks, 1) };
    return new Promise((resolve) => {
      const attempt = (): void => {
        if (this.held.some((h) => h.start < range.end && range.start < h.end)) {
          this.waiters.push(attempt);
          return;
        }
        this.held.push(range);
        let released = false;
        resolve(() => {
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
        });
      };
      attempt();
    });
  }

  /** Number of ranges currently held (for tests and diagnostics). */
  get size(): number {
    return this.held.length;
  }
}
