/**
 * The transfers of a pass in flight while the pass plans further: at most `maxBytes` of
 * chunk data and `maxOps` operations at once, so planning (allocation queries) overlaps
 * sending, and memory stays bounded whatever the volume's size. The first failure stops
 * new transfers and is rethrown by the next add() or by drain().
 */
export class PassPipeline {
  private readonly running = new Set<Promise<void>>();
  private bytes = 0;
  private failure: { error: unknown } | undefined;

  constructor(
    private readonly maxBytes: number,
    private readonly maxOps: number,
  ) {}

  /** Starts `task` (holding `bytes` of chunk data) once there is room for it. */
  async add(bytes: number, task: () => Promise<void>): Promise<void> {
    while (this.running.size > 0 && (this.bytes + bytes > this.maxBytes || this.running.size >= this.maxOps)) {
      await Promise.race(this.running);
    }
    if (this.failure) throw this.failure.error;
    this.bytes += bytes;
    const run: Promise<void> = task()
      .catch((error: unknown) => {
        this.failure ??= { error };
      })
      .finally(() => {
        this.bytes -= bytes;
        this.running.delete(run);
      });
    this.running.add(run);
  }

  /** Waits for every transfer started; rethrows the first failure. */
  async drain(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running]);
    if (this.failure) throw this.failure.error;
  }
}
