/**
 * A few more open file descriptions of a store's file, one per sync in flight, so that
 * overlapping syncs cannot split a write-back error between them (sticky-sync-error.ts).
 *
 * Linux keeps a write-back error cursor per open file description (errseq): a sync on a
 * description (fdatasync, a pwritev2 RWF_DSYNC) reports an error when the file's mapping
 * recorded one since that description's previous check, and then advances the cursor. Two
 * syncs on one description at once can split one error: the first to check gets it, the
 * other succeeds over a lost write. With at most one sync in flight per description, each
 * sync sees every error since its own description's previous sync, and a sync waits for the
 * write-back of every page in its range, including pages another sync started writing:
 * a page that failed has recorded its error by then, and this description has not checked
 * since. So a successful sync on a description of its own is true, and needs not wait for
 * the syncs that overlapped it.
 *
 * Reopened through /proc/self/fd: the very file the store has open, with the same access mode
 * and O_DIRECT as the store's descriptor (writes and reads of a batch that syncs go through
 * the description too; mixing O_DIRECT and buffered I/O on one file would be incoherent).
 */
import { closeSync, constants } from 'node:fs';
import { blockError } from './errors.js';
import type { IoGate } from './io-gate.js';
import { reopenFile } from './reopen-file.js';

/** How many descriptions a store opens by default: the threadpool's size bounds the syncs that run at once. */
export function defaultSyncDescriptorCount(): number {
  const n = Number(process.env.UV_THREADPOOL_SIZE ?? 4);
  return Number.isInteger(n) && n >= 1 ? Math.min(n, 32) : 4;
}

export class SyncDescriptors {
  private free: number[];
  private waiters: Array<{ resolve: (fd: number) => void; reject: (e: unknown) => void }> = [];
  private closed = false;

  private constructor(private readonly fds: readonly number[]) {
    this.free = [...fds];
  }

  /**
   * `count` descriptions of the file open as `fd`, or undefined when they cannot be opened
   * (no /proc) or `count` is 0: syncs then run on `fd`, with the overlap wait.
   */
  static open(fd: number, count: number, readOnly: boolean, direct: boolean): SyncDescriptors | undefined {
    if (count < 1) return undefined;
    const flags = (readOnly ? constants.O_RDONLY : constants.O_RDWR) | (direct ? constants.O_DIRECT : 0);
    const fds: number[] = [];
    try {
      for (let i = 0; i < count; i++) fds.push(reopenFile(fd, flags));
    } catch {
      for (const f of fds) closeSync(f);
      return undefined;
    }
    return new SyncDescriptors(fds);
  }

  /** How many descriptions there are. */
  get size(): number {
    return this.fds.length;
  }

  /** A free description, now, or undefined when all are held (or closed). */
  tryAcquire(): number | undefined {
    return this.closed ? undefined : this.free.pop();
  }

  /** A free description, once one is (first come, first served). Rejects once closed (a waiter too). */
  acquire(): Promise<number> {
    if (this.closed) return Promise.reject(blockError('EBADF', 'sync descriptors closed'));
    const fd = this.free.pop();
    if (fd !== undefined) return Promise.resolve(fd);
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  /**
   * Runs `use` on a free description, now or once one is (acquire), held until the promise
   * `use` returns settles. `use` records a failed sync before it settles: a later sync on the
   * description would succeed, the error consumed there. Counted in `gate` while it waits:
   * close() waits for it, and so never closes a description it is handed. Once closed, rejects
   * without calling `use`. `use` reports a failure by rejecting, not by throwing.
   */
  run<T>(use: (fd: number) => Promise<T>, gate: Pick<IoGate, 'begin' | 'end'>): Promise<T> {
    const fd = this.tryAcquire();
    if (fd !== undefined) return this.holding(fd, use(fd));
    gate.begin();
    return this.acquire().then(
      (fd) => {
        const used = use(fd);
        gate.end();
        return this.holding(fd, used);
      },
      (e: unknown) => {
        gate.end();
        throw e;
      },
    );
  }

  /** `used`, once it has settled and `fd` is given back. */
  private holding<T>(fd: number, used: Promise<T>): Promise<T> {
    return used.then(
      (r) => {
        this.release(fd);
        return r;
      },
      (e: unknown) => {
        this.release(fd);
        throw e;
      },
    );
  }

  /** Gives back `fd` (acquired before): to the longest waiter, if any. After close, nothing. */
  release(fd: number): void {
    if (this.closed) return;
    const next = this.waiters.shift();
    if (next) next.resolve(fd);
    else this.free.push(fd);
  }

  /**
   * Closes every description, held or not: the caller makes sure no system call still uses
   * one (FileBlockStore closes once nothing is in flight). Idempotent.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.free = [];
    const waiters = this.waiters;
    this.waiters = [];
    for (const fd of this.fds) {
      try {
        closeSync(fd);
      } catch {
        // already gone: nothing to release
      }
    }
    for (const w of waiters) w.reject(blockError('EBADF', 'sync descriptors closed'));
  }
}
