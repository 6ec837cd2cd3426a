/**
 * A timer's task that may fail the same way every tick (a full disk, a peer refusing):
 * each failure is caught, never left unhandled (it would end the process), and logged once
 * until the task succeeds again or fails differently, so a stuck condition is one line.
 */
import type { Logger } from './log.js';

export class RecurringFailure {
  private last: string | undefined;

  constructor(
    private readonly log: Logger,
    private readonly event: string,
    private readonly what: string,
  ) {}

  /** Runs one tick's task; resolves whatever happens. */
  async run(task: () => Promise<void>): Promise<void> {
    try {
      await task();
      this.last = undefined;
    } catch (e) {
      const error = (e as Error).message;
      if (error === this.last) return;
      this.last = error;
      this.log.error({ event: this.event, error }, `${this.what} failed: ${error}`);
    }
  }
}
