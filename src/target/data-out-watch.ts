/**
 * The Data-Out timeout (LIO's dataout_timeout): a command that has asked for its data (an
 * R2T sent, or unsolicited data announced) and gets none for `timeoutMs` holds its buffer,
 * its share of the server's buffer memory and its place in the LU's task set for nothing.
 * At ErrorRecoveryLevel 0 there is no recovery R2T to send: the connection is dropped
 * (RFC 7143 §7.1.4.1: connection failure; the initiator logs in again and retries). Time
 * while the connection does not read its socket (Connection.holdReading) does not count:
 * the data may be waiting there.
 */
export interface AwaitingData {
  /** performance.now() of the task's last data progress while it still waits for data; undefined once it has it all. */
  readonly awaitingDataSince: number | undefined;
}

export class DataOutWatch {
  private timer?: NodeJS.Timeout;
  /** Checks start counting from here at the earliest (the start, or reading resumed). */
  private countFrom = performance.now();

  constructor(
    private readonly timeoutMs: number,
    private readonly tasks: () => Iterable<AwaitingData>,
    /** The connection is not reading its socket now. */
    private readonly notReading: () => boolean,
    private readonly onTimeout: () => void,
  ) {}

  start(): void {
    if (this.timeoutMs <= 0 || this.timer) return;
    this.countFrom = performance.now();
    this.timer = setInterval(() => this.check(), Math.max(10, Math.min(5000, this.timeoutMs / 4)));
    this.timer.unref();
  }

  /** Reading resumed: waits already underway start over. */
  readingResumed(): void {
    this.countFrom = performance.now();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private check(): void {
    if (this.notReading()) return;
    const now = performance.now();
    for (const task of this.tasks()) {
      const since = task.awaitingDataSince;
      if (since !== undefined && now - Math.max(since, this.countFrom) > this.timeoutMs) {
        this.stop();
        this.onTimeout();
        return;
      }
    }
  }
}
