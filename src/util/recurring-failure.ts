/**
 * A task that may fail the same way every time it is retried (a full disk, a peer refusing):
 * each failure is logged once until the task succeeds again or fails differently, so a stuck
 * condition is one line. `run` wraps a timer's task (a failure is caught, never left
 * unhandled: it would end the process); `failed` and `succeeded` serve a caller that
 * catches its own.
 */
import type { Logger } from './log.js';

export class RecurringFailure {
  private last: string | undefined;

  constructor(
    private readonly log: Logger,
    private readonly event: string,
    private readonly what: string,
    private readonly level: 'warn' | 'error' = 'error',
  ) {}

  /** Runs one tick's task; resolves whatever happens. */
  async run(task: () => Promise<void>): Promise<void> {
    try {
      await task();
      this.succeeded();
    } catch (e) {
      this.failed((e as Error).message);
    }
  }

  /** The task failed: logged (with `fields`) unless it failed alike last time. */
  failed(error: string, fields: Record<string, unknown> = {}): void {
    if (error === this.last) return;
    this.last = error;
    this.log[this.level]({ event: this.event, ...fields, error }, `${this.what} failed: ${error}`);
  }

  succeeded(): void {
    this.last = undefined;
  }
}
