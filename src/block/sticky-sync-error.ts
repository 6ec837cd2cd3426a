/**
 * A write-back failure, remembered until the store is reopened (PostgreSQL's answer to the
 * same problem). Linux reports a write-back error once per open file description: the first
 * fdatasync after a failed write-back gets EIO (ENOSPC, EDQUOT), and the error is consumed
 * with it. The pages that failed are no longer dirty, so the next fdatasync has nothing to
 * write and succeeds, although a write it must cover never reached the medium. So once a
 * sync (a flush, the sync of a FUA write) fails, every later flush and FUA write fails with
 * that error: what was written before it may be lost, and no later sync can tell.
 *
 * Only a failed sync sticks, not a failed write: a write that fails (ENOSPC allocating its
 * blocks) lost nothing written before it. The store tells which one failed (a FUA write's
 * own failure from its sync's: writeback-witness.ts).
 *
 * A sync that succeeds while another overlapped it cannot be trusted either: the kernel gives
 * the error to only one of the syncs running when it is checked, the other succeeds. So a
 * sync that succeeds resolves only once every sync in flight when it completed has settled,
 * and fails if one of them failed meanwhile. With no other sync in flight (the common case)
 * it resolves at once.
 *
 * That wait costs FUA writes at a high queue depth a quarter of their rate, and is not needed
 * when every sync runs on an open file description of its own, one sync at a time on each
 * (the file store's SyncDescriptors): each description has its own error cursor, so a sync
 * sees every error since its description's previous sync, and none can take another's
 * (sync-descriptors.ts). With `exclusiveDescriptors` a successful sync resolves at once,
 * unless a sync has failed meanwhile. The RBD store cannot put librbd's flushes on separate
 * descriptions: it keeps the wait.
 */
import type { Logger } from '../util/log.js';
import { BlockIoError } from './device.js';

/** A failed sync: a NativeError (fdatasync), or a BlockIoError of a store's own sync call (rbd_aio_flush). */
export interface SyncFailure {
  code: string;
  errno: number;
  message: string;
  /** The call that failed, when the error does not name it. */
  syscall?: string;
}

interface Waiter {
  /** Resumes once every sync issued up to this one has settled. */
  after: number;
  resume: () => void;
}

export class StickySyncError {
  private first: SyncFailure | undefined;
  private issued = 0;
  /** Syncs in flight by issue number: a Set iterates in insertion order, so the first is the oldest. */
  private readonly inFlight = new Set<number>();
  private waiters: Waiter[] = [];

  constructor(
    private readonly path: string,
    private readonly log: Logger | undefined,
    /** Every sync runs on a description of its own (none can take another's error): no overlap wait. */
    private readonly exclusiveDescriptors = false,
  ) {}

  /** Whether a sync has failed since the store was opened. */
  get failed(): boolean {
    return this.first !== undefined;
  }

  /**
   * Runs `sync` (a flush, a FUA write) unless a sync has failed before: then it fails at once
   * with that error. `sync` must report its own failures through `syncFailed` before it rejects.
   */
  run(sync: () => Promise<void>): Promise<void> {
    if (this.first) return Promise.reject(this.refusal());
    if (this.exclusiveDescriptors) return sync().then(this.unlessFailed);
    const id = ++this.issued;
    this.inFlight.add(id);
    return sync().then(
      () => {
        this.settled(id);
        return this.afterOverlapping();
      },
      (e: unknown) => {
        this.settled(id);
        throw e;
      },
    );
  }

  /** A sync failed with `err`: every later flush and FUA write fails with it (the first one only is kept). */
  syncFailed(err: SyncFailure): void {
    if (this.first) return;
    this.first = err;
    this.log?.error(
      { event: 'writeback-error', path: this.path, code: err.code, syscall: err.syscall },
      `${this.path}: a write-back failed (${err.code}, ${err.syscall}): writes completed before it may not be on the medium; flushes and FUA writes fail until the store is reopened`,
    );
  }

  /** A successful sync's outcome on a description of its own: a failure recorded meanwhile (by an earlier sync of its description among others) still fails it. */
  private readonly unlessFailed = (): void => {
    if (this.first) throw this.refusal();
  };

  private refusal(): BlockIoError {
    const first = this.first!;
    return new BlockIoError(
      first.code,
      first.errno,
      `${first.code}: an earlier write-back failed (${first.message}); writes completed before it may not be on the medium, so flushes and FUA writes fail until ${this.path} is reopened`,
    );
  }

  private settled(id: number): void {
    this.inFlight.delete(id);
    if (this.waiters.length === 0) return;
    const oldest = this.inFlight.size === 0 ? Infinity : this.inFlight.values().next().value!;
    let n = 0;
    while (n < this.waiters.length && this.waiters[n]!.after < oldest) n++;
    if (n === 0) return;
    const ready = this.waiters.slice(0, n);
    this.waiters = this.waiters.slice(n);
    for (const w of ready) w.resume();
  }

  /** Settles a successful sync once every sync that overlapped it has settled; a failure among them fails it. */
  private afterOverlapping(): Promise<void> | undefined {
    if (this.inFlight.size === 0) {
      if (this.first) throw this.refusal();
      return undefined;
    }
    const after = this.issued;
    return new Promise((resolve, reject) => this.waiters.push({ after, resume: () => (this.first ? reject(this.refusal()) : resolve()) }));
  }
}
