/**
 * When a copy-on-write call must wait for the store's control tasks:
 * - from the moment a take or restore is asked for until it settles (`holding`): the caller
 *   holds writes meanwhile, so any overwrite guarded in that window comes after it and
 *   belongs to the point it makes newest;
 * - while a take, restore or prune of the newest point runs (`gated`), except, if allowed,
 *   for units the newest store already holds.
 */
export class CopyGates {
  private held: { count: number; done: Promise<void>; release: () => void } | undefined;
  private gate: { done: Promise<void>; allowHeld: boolean } | undefined;

  /** `start()` runs a take or restore; copies wait from this call until it settles. */
  holding<T>(start: () => Promise<T>): Promise<T> {
    if (!this.held) {
      let release!: () => void;
      const done = new Promise<void>((r) => (release = r));
      this.held = { count: 0, done, release };
    }
    const held = this.held;
    held.count++;
    const running = start();
    const settled = () => {
      if (--held.count > 0) return;
      if (this.held === held) this.held = undefined;
      held.release();
    };
    running.then(settled, settled);
    return running;
  }

  /** Runs `fn` once the copies in flight finished (`idle`), with new copies waiting. */
  async gated<T>(allowHeld: boolean, idle: () => Promise<void>, fn: () => Promise<T>): Promise<T> {
    let release!: () => void;
    this.gate = { done: new Promise<void>((r) => (release = r)), allowHeld };
    try {
      await idle();
      return await fn();
    } finally {
      this.gate = undefined;
      release();
    }
  }

  /** No hold and no gate: a copy-on-write call goes on at once (waitFor would answer undefined). */
  get open(): boolean {
    return !this.held && !this.gate;
  }

  /** What a copy-on-write call must wait for now (then ask again); undefined: go on; 'held': nothing to copy. */
  waitFor(holdsAll: () => boolean): Promise<void> | 'held' | undefined {
    if (this.held) return this.held.done;
    const gate = this.gate;
    if (!gate) return undefined;
    if (gate.allowHeld && holdsAll()) return 'held';
    return gate.done;
  }
}
