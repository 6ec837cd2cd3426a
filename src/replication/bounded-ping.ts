/**
 * One ping at a time, waited for at most a bound: through a slow (throttled) link a ping
 * queues behind the shipper's data for up to the operation timeout, and the journal
 * criteria must not wait that long or the journal overflows before they are evaluated.
 * A ping still in flight at the next tick is waited for again, not duplicated.
 */
import type { ReplicaLink } from './replica-link.js';

export class BoundedPing {
  private pinging: Promise<void> | undefined;

  constructor(
    private readonly link: ReplicaLink,
    private readonly waitMs: number,
  ) {}

  run(): Promise<void> {
    this.pinging ??= this.link
      .ping()
      .then(
        () => undefined,
        () => undefined,
      )
      .finally(() => (this.pinging = undefined));
    let timer: NodeJS.Timeout | undefined;
    const wait = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.waitMs);
      timer.unref();
    });
    return Promise.race([this.pinging, wait]).finally(() => clearTimeout(timer));
  }
}
