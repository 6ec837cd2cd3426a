/**
 * The transfers of a pass in flight while the pass plans further: at most the pace's window
 * of chunk data and `maxOps` operations at once, so planning (allocation queries) overlaps
 * sending, and memory stays bounded whatever the volume's size. The first failure stops
 * new transfers and is rethrown by the next add() or by drain(). It measures what it moved
 * and for how long it had transfers in flight, for the pace of the next pass.
 *
 * Waits are for the next transfer to end, not Promise.race over those in flight: that added
 * a reaction to each of them per wait (up to maxOps² a window, each kept until its transfer
 * ended), and a Set of them rebuilt its table as they came and went.
 */
export class PassPipeline {
  private running = 0;
  /** Woken as each transfer ends (room, or the drain): they look again. */
  private waiters: Array<() => void> = [];
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
    while (this.running > 0 && (this.bytes + bytes > this.pace.windowBytes || this.running >= this.maxOps)) await this.nextEnd();
    if (this.failure) throw this.failure.error;
    const started = task();
    this.bytes += bytes;
    if (this.running++ === 0) this.busySince = performance.now();
    const ended = (): void => {
      this.bytes -= bytes;
      if (--this.running === 0) this.busyMs += performance.now() - this.busySince;
      const waiters = this.waiters;
      this.waiters = [];
      for (const w of waiters) w();
    };
    started.then(
      () => {
        this.movedBytes += bytes;
        ended();
      },
      (error: unknown) => {
        this.failure ??= { error };
        ended();
      },
    );
  }

  /** Waits for every transfer started; rethrows the first failure. */
  async drain(): Promise<void> {
    while (this.running > 0) await this.nextEnd();
    if (this.failure) throw this.failure.error;
  }

  private nextEnd(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }
}
