/**
 * The replica link as one pass uses it, with every operation the pass started known until it
 * settles. A STAGED WRITE carries no pass identifier (C5h has no room for one): the backup
 * stages it into whichever pass is open when it arrives. A chunk's writes go out together,
 * and one refused fails the chunk's transfer while the others may still be on their way (a
 * reconnect re-sends them); the pass must not end, and the next one open on the backup,
 * before they have all settled.
 */
import type { ReplicaLink } from './replica-link.js';

export class PassLink {
  private readonly inFlight = new Set<Promise<unknown>>();
  /** `link`, its operations counted until they settle. */
  readonly link: ReplicaLink;

  constructor(inner: ReplicaLink) {
    const inFlight = this.inFlight;
    this.link = new Proxy(inner, {
      get(target, key) {
        const value: unknown = Reflect.get(target, key, target);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          const result: unknown = (value as (...a: unknown[]) => unknown).apply(target, args);
          if (!(result instanceof Promise)) return result;
          const settled = result.then(
            () => undefined,
            () => undefined,
          );
          inFlight.add(settled);
          void settled.then(() => inFlight.delete(settled));
          return result;
        };
      },
    });
  }

  /** Resolves once every operation started through `link` has settled, however. */
  async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }
}
