/** What PointStore.open takes, and what it reports of a restore a crash interrupted. */
import type { BlockDevice } from '../../block/device.js';
import type { DurableFiles } from '../../block/durable-file.js';
import type { Logger } from '../../util/log.js';

export interface PointStoreOptions {
  /** The LUN's metadata directory (<image>.tandem/); points live under dir/points/. */
  dir: string;
  /** The LUN's local store (the live image). */
  image: BlockDevice;
  /** Default: node:fs (tests pass a file system that forgets at a power loss). */
  files?: DurableFiles;
  /** Copy-on-write unit in bytes (default 4096). Points already on disk keep theirs. */
  granularity?: number;
  logger?: Logger;
  /**
   * Told every range a restore a crash interrupted may have changed, before open commits it:
   * the caller marks them durably here (marked after the commit, a crash between the two left
   * them marked nowhere). A rejection fails the open, the restore still pending.
   */
  beforeCommit?: (changed: ReadonlyArray<{ offset: number; length: number }>) => Promise<void>;
}

/** A restore a crash interrupted, finished by open. */
export interface RecoveredRestore {
  restoredTo: number;
  /** Every range the restore may have changed (before and after the crash): a superset of what it did change. */
  changed: Array<{ offset: number; length: number }>;
}
