/**
 * The engine's last mode switch, for status, and the one log line each switch makes; and the
 * return to continuous mirroring that fails, a line once however often it is retried alike.
 */
import type { Logger } from '../util/log.js';
import { RecurringFailure } from '../util/recurring-failure.js';
import type { MirrorState, SwitchRecord } from './status.js';
import type { ReplicationFigures } from './switch-criteria.js';

export interface SwitchHistoryParts {
  table: { readonly dirtyChunks: number };
  queue: { readonly bytes: number };
  clock: () => number;
  log: Logger;
}

export class SwitchHistory {
  last: SwitchRecord | undefined;
  private readonly catchUpFailures: RecurringFailure;

  constructor(
    private readonly parts: SwitchHistoryParts,
    private readonly figures: () => ReplicationFigures,
  ) {
    this.catchUpFailures = new RecurringFailure(parts.log, 'catch-up-failed', 'return to continuous mirroring', 'warn');
  }

  /** The return to continuous mirroring failed (it is retried after the next healthy period). */
  catchUpFailed(error: string): void {
    this.catchUpFailures.failed(error);
  }

  record(from: MirrorState, to: MirrorState, reason: string, extra: Record<string, unknown>, figures: ReplicationFigures = this.figures(), at: number = this.parts.clock()): void {
    this.catchUpFailures.succeeded();
    this.last = { at, from, to, reason, ...(typeof extra['detail'] === 'string' ? { detail: extra['detail'] } : {}) };
    this.parts.log.info(
      { event: 'mode-switch', from, to, reason, ...extra, figures, dirtyChunks: this.parts.table.dirtyChunks, journalBytes: this.parts.queue.bytes },
      `replication ${from} -> ${to}: ${reason}`,
    );
  }
}
