/**
 * How far the backup is behind: the age of the oldest change it may lack. Delta tracking
 * counts from when the table went from clean to dirty; continuous async from the oldest
 * journal entry not yet shipped (asked for at each reading).
 */
export class RecoveryPointAge {
  private dirtySince: number | undefined;

  constructor(
    private readonly clock: () => number,
    dirtyAtOpen: boolean,
  ) {
    // A crash or a start with dirty chunks counts from the open.
    if (dirtyAtOpen) this.dirtySince = clock();
  }

  /** A change was marked in the delta table. */
  dirtied(): void {
    this.dirtySince ??= this.clock();
  }

  /** Journal entries appended at `oldestAt` and later were folded into a dirty table. */
  folded(oldestAt: number | undefined, tableDirty: boolean): void {
    if (oldestAt !== undefined && tableDirty) this.dirtySince = Math.min(this.dirtySince ?? oldestAt, oldestAt);
  }

  /** The table is clean again. */
  cleaned(): void {
    this.dirtySince = undefined;
  }

  ageMs(tableDirty: boolean, oldestPendingAt: number | undefined): number {
    const now = this.clock();
    const oldest = Math.min(tableDirty ? (this.dirtySince ?? now) : now, oldestPendingAt ?? now);
    return Math.max(0, now - oldest);
  }
}
