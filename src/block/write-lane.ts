/**
 * Large buffered writes to one regular file, at most `limit` thread-pool jobs at a time.
 * Linux file systems take the inode's lock for a buffered write (ext4, xfs), so threads
 * writing one file at once take turns anyway, and the ones waiting spin on the lock while its
 * holder copies a megabyte: a backup taking a first sync's 1 MiB writes spent more CPU on its
 * pool threads than the target of the same writes in the baseline, much of it spinning
 * (docs/performance.md, eighteenth session). Reads, FUA writes (whose syncs the file system
 * groups when they run together), O_DIRECT and block devices do not go through here.
 */
export class WriteLane<T> {
  private running = 0;
  private readonly held: T[] = [];

  constructor(
    private readonly limit: number,
    /** Starts `job`; calls `done` once it has finished, whatever its outcome. */
    private readonly start: (job: T, done: () => void) => void,
  ) {}

  submit(job: T): void {
    if (this.running < this.limit) this.run(job);
    else this.held.push(job);
  }

  private run(job: T): void {
    this.running++;
    this.start(job, () => {
      this.running--;
      const next = this.held.shift();
      if (next !== undefined) this.run(next);
    });
  }
}
