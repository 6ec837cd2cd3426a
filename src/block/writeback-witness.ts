/**
 * Tells a FUA write's own failure from its sync's. A FUA write is one pwritev2(RWF_DSYNC):
 * the kernel copies the data, then syncs, and reports either failure alike. ENOSPC allocating
 * the write's blocks lost nothing written before it; ENOSPC or EIO from the sync is a lost
 * write-back, which must fail every later flush (sticky-sync-error.ts). The errno cannot
 * tell, and the descriptor the write ran on cannot be asked again: the failed sync consumed
 * the error there (Linux reports a write-back error once per open file description).
 *
 * The witness is a second open file description of the same file, which does no I/O: Linux
 * reports every write-back error to each description that has not seen it, so an fdatasync
 * on the witness fails exactly when a write-back failed since its previous check (or since
 * it was opened). The store stops asking once an error sticks, so none escapes it. Only
 * asked after a FUA write fails: a successful write costs nothing. It is not one of the
 * store's sync descriptors (sync-descriptors.ts): a description that syncs cannot tell.
 */
import { closeSync, constants } from 'node:fs';
import { native, type NativeError } from '../native/index.js';
import { reopenFile } from './reopen-file.js';

export class WritebackWitness {
  private constructor(private readonly fd: number) {}

  /**
   * A witness of the file open as `fd`, or undefined when it cannot be opened (no /proc):
   * every failure of a FUA write is then taken for a failed sync.
   */
  static open(fd: number): WritebackWitness | undefined {
    try {
      return new WritebackWitness(reopenFile(fd, constants.O_RDONLY));
    } catch {
      return undefined;
    }
  }

  /** The write-back error the kernel reports since the previous check, or undefined. Never rejects. */
  check(): Promise<NativeError | undefined> {
    return new Promise((resolve) => {
      try {
        native.fdatasync(this.fd, (err) => resolve(err ?? undefined));
      } catch (e) {
        resolve(e as NativeError);
      }
    });
  }

  close(): void {
    closeSync(this.fd);
  }
}
