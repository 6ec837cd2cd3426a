/**
 * The transfers of a pass in flight while the pass plans further: at most the pace's window
 * of chunk data and `maxOps` operations at once, so planning (allocation queries) overlaps
 * sending, and memory stays bounded whatever the volume's size. The first failure stops
 * new transfers and is rethrown by the next add() or by drain(). It measures what it moved
 * and for how long it had transfers in flight, for the pace of the next pass.
 */
export class PassPipeline {
  private readonly running = new Set<Promise<void>>();
  private bytes = 0;
  private failure: { error: unknown } | undefined;
  /** Chunk data of the transfers that completed. */
  movedBytes = 0;
  /** Time with at least one transfer in flight, in ms. */
  busyMs = 0;
  private busySince = 0;

  constructor(
    private readonly pace: { readonly windowBytes: number },
    private readonly maxOps: number,
  ) {}

  /** Starts `task` (holding `bytes` of chunk data) once there is room for it. */
  async add(bytes: number, task: () => Promise<void>): Promise<void> {
    while (this.running.size > 0 && (this.bytes + bytes > this.pace.windowBytes || this.running.size >= this.maxOps)) {
      await Promise.race(this.running);
    }
    if (this.failure) throw this.failure.error;
    this.bytes += bytes;
    if (this.running.size === 0) this.busySince = performance.now();
    const run: Promise<void> = task()
      .then(
        () => void (this.movedBytes += bytes),
        (error: unknown) => {
          this.failure ??= { error };
        },
      )
      .finally(() => {
        this.bytes -= bytes;
        this.running.delete(run);
        if (this.running.size === 0) this.busyMs += performance.now() - this.busySince;
      });
    this.running.add(run);
  }

  /** Waits for every transfer started; rethrows the first failure. */
  async drain(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running]);
    if (this.failure) throw this.failure.error;
  }
}
