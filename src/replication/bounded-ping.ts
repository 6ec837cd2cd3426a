/**
 * One ping at a time, waited for at most a bound: through a slow (throttled) link a ping
 * queues behind the shipper's data for up to the operation timeout, and the journal
 * criteria must not wait that long or the journal overflows before they are evaluated.
 * A ping still in flight at the next tick is waited for again, not duplicated.
 */
import type { ReplicaLink } from './replica-link.js';
import { waitAtMost } from '../util/wait-at-most.js';

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
    return waitAtMost(this.pinging, this.waitMs, true).then(() => undefined);
  }
}
