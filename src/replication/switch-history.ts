/**
 * The engine's last mode switch, for status, and the one log line each switch makes; and the
 * return to continuous mirroring that fails, a line once however often it is retried alike.
 */
import type { Logger } from '../util/log.js';
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
  private lastFailure: string | undefined;

  constructor(
    private readonly parts: SwitchHistoryParts,
    private readonly figures: () => ReplicationFigures,
  ) {}

  /** The return to continuous mirroring failed (it is retried after the next healthy period). */
  catchUpFailed(error: string): void {
    if (error === this.lastFailure) return;
    this.lastFailure = error;
    this.parts.log.warn({ event: 'catch-up-failed', error }, 'return to continuous mirroring failed');
  }

  record(from: MirrorState, to: MirrorState, reason: string, extra: Record<string, unknown>, figures: ReplicationFigures = this.figures(), at: number = this.parts.clock()): void {
    this.lastFailure = undefined;
    this.last = { at, from, to, reason, ...(typeof extra['detail'] === 'string' ? { detail: extra['detail'] } : {}) };
    this.parts.log.info(
      { event: 'mode-switch', from, to, reason, ...extra, figures, dirtyChunks: this.parts.table.dirtyChunks, journalBytes: this.parts.queue.bytes },
      `replication ${from} -> ${to}: ${reason}`,
    );
  }
}
