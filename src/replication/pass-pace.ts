/**
 * How much chunk data a pass keeps in flight, from the pace the link last showed. Every
 * command of a pass waits behind those sent before it, so over a slow link 8 MiB in flight
 * made the last of them wait past the link's operation timeout (below 1.6 MiB/s at the
 * default 5 s): the pass failed and was retried without end. The window is what the link
 * moves in `budgetMs` at the rate the last pass measured (a failed one included: what it
 * moved before the timeout is the link's pace), between one largest command and 8 MiB.
 */
export const MAX_PASS_WINDOW = 8 * 1024 * 1024;
/** The largest single transfer of a pass (a WRITE of contiguous chunks). */
export const MIN_PASS_WINDOW = 1024 * 1024;
/** Busy periods shorter than this say little of the link's pace (a tiny pass is all latency). */
const MIN_SAMPLE_MS = 100;

export class PassPace {
  private bytesPerSec: number | undefined;

  constructor(private readonly budgetMs = 2_000) {}

  /** Chunk data a pass may have in flight now. */
  get windowBytes(): number {
    if (this.bytesPerSec === undefined) return MAX_PASS_WINDOW;
    return Math.min(MAX_PASS_WINDOW, Math.max(MIN_PASS_WINDOW, Math.floor((this.bytesPerSec * this.budgetMs) / 1000)));
  }

  /**
   * A pass moved `bytes` in `busyMs` of time with transfers in flight. Nothing moved (a
   * dead link) tells nothing of the pace: the window stays, for when the link is back.
   */
  observe(bytes: number, busyMs: number): void {
    if (bytes <= 0 || busyMs < MIN_SAMPLE_MS) return;
    this.bytesPerSec = (bytes * 1000) / busyMs;
  }
}
