/** The engine's last mode switch, for status, and the one log line each switch makes. */
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

  constructor(
    private readonly parts: SwitchHistoryParts,
    private readonly figures: () => ReplicationFigures,
  ) {}

  record(from: MirrorState, to: MirrorState, reason: string, extra: Record<string, unknown>, figures: ReplicationFigures = this.figures(), at: number = this.parts.clock()): void {
    this.last = { at, from, to, reason, ...(typeof extra['detail'] === 'string' ? { detail: extra['detail'] } : {}) };
    this.parts.log.info(
      { event: 'mode-switch', from, to, reason, ...extra, figures, dirtyChunks: this.parts.table.dirtyChunks, journalBytes: this.parts.queue.bytes },
      `replication ${from} -> ${to}: ${reason}`,
    );
  }
}
