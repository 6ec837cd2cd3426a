/** A change in the send queue (SendQueue), and its bytes as the queue lends them to a sender. */
import type { BufferHold } from '../util/buffer-pool.js';
import type { JournalEntry } from './staging-journal.js';

/** A change's bytes lent to a sender; `done` once it no longer reads them. */
export interface ChangeData {
  data: Buffer;
  done: () => void;
}

export const DEFAULT_QUEUE_MEMORY = 64 * 1024 * 1024;

export interface QueuedChange {
  seq: number;
  offset: number;
  length: number;
  discard: boolean;
  /** The host's buffer (or a copy), until the change is shipped or spilled. */
  data: Buffer | undefined;
  /** The hold on `data` while the queue has it (more readers retain it too): the host's, or the lease of the queue's pooled copy. */
  hold: BufferHold | undefined;
  /** Drops the queue's own reference to `data`. */
  drop: (() => void) | undefined;
  /** Where a spilled change's bytes are. */
  spilled: JournalEntry | undefined;
  /** Highest seq acknowledged to the host when this change arrived. */
  ackedBefore: number;
  /**
   * Host barriers (a flush issued, a FUA write acknowledged) before it arrived: what came
   * before a barrier is durable on the backup before anything after it is written there.
   */
  epoch: number;
  /** When it was queued (recovery-point age). */
  at: number;
  applied: boolean;
  shipped: boolean;
}
