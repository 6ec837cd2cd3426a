/**
 * A point store's lifecycle: one control operation at a time, refused once it is closing,
 * and once a failure left memory and disk possibly apart ("broken": every call fails until
 * the store is reopened, which recovers from the disk).
 */
import { SerialQueue } from '../../util/serial-queue.js';
import { PointError } from './point-error.js';

export class StoreLifecycle {
  closing = false;
  private brokenBy: Error | undefined;
  private readonly control = new SerialQueue();

  get broken(): boolean {
    return this.brokenBy !== undefined;
  }

  /** Memory and disk may differ from now on (the first cause is kept). */
  breakWith(e: Error): void {
    this.brokenBy ??= e;
  }

  /** Throws unless the store may be used. */
  check(): void {
    if (this.closing) throw new PointError('the point store is closed');
    if (this.brokenBy) throw this.brokenError();
  }

  brokenError(): Error {
    return new Error(`the point store failed (${this.brokenBy?.message ?? 'unknown'}); reopen it to recover`);
  }

  /** `fn` after the control operations before it, if the store is still usable then. */
  run<T>(fn: () => Promise<T>): Promise<T> {
    try {
      this.check();
    } catch (e) {
      return Promise.reject(e as Error);
    }
    return this.control.run(async () => {
      if (this.brokenBy) throw this.brokenError();
      return fn();
    });
  }

  /** The last control operation: runs once those before it are done. */
  finish(fn: () => Promise<void>): Promise<void> {
    return this.control.run(fn);
  }
}
