/** Runs tasks one at a time, in the order they were queued; a failure does not stop the queue. */
export class SerialQueue {
  private tail: Promise<unknown> | undefined;

  /** Whether a task is queued or running. */
  get busy(): boolean {
    return this.tail !== undefined;
  }

  run<T>(fn: () => Promise<T>): Promise<T> {
    const run = (this.tail ?? Promise.resolve()).catch(() => undefined).then(fn);
    const tracked = run.finally(() => {
      if (this.tail === tracked) this.tail = undefined;
    });
    // The caller gets run's failure; this copy is only waited on, never to be reported twice.
    tracked.catch(() => undefined);
    this.tail = tracked;
    return run;
  }

  /** Resolves when every task queued so far has settled. */
  async idle(): Promise<void> {
    await this.tail?.catch(() => undefined);
  }
}
