/**
 * Recovery points marked in the send queue, oldest first: each sent once every change
 * queued before it is shipped, and a wall that later changes wait behind until then.
 */
import type { PointMarker } from '../replica-protocol/index.js';
import { PointDroppedError } from './queue-errors.js';

interface PendingPoint {
  afterSeq: number;
  marker: PointMarker;
  resolve: () => void;
  reject: (e: Error) => void;
}

export class QueuedPoints {
  private readonly points: PendingPoint[] = [];

  /** A point after change `afterSeq`: resolves once the backup has taken it. */
  mark(marker: PointMarker, afterSeq: number): Promise<void> {
    return new Promise((resolve, reject) => this.points.push({ afterSeq, marker, resolve, reject }));
  }

  /** The sequence number the oldest point comes after (Infinity: none): no change after it may go first. */
  get wall(): number {
    return this.points[0]?.afterSeq ?? Infinity;
  }

  /** The oldest point, once the oldest change not shipped (if any) is `firstUnshippedSeq`, after it. */
  due(firstUnshippedSeq: number | undefined): PointMarker | undefined {
    const p = this.points[0];
    if (!p) return undefined;
    return firstUnshippedSeq === undefined || firstUnshippedSeq > p.afterSeq ? p.marker : undefined;
  }

  /** The backup took the due point (or refused it). */
  sent(error?: Error): void {
    const p = this.points.shift();
    if (error) p?.reject(error);
    else p?.resolve();
  }

  /** Every point is dropped (folded into delta tracking, or a shutdown). */
  dropAll(reason: string): void {
    for (const p of this.points.splice(0)) p.reject(new PointDroppedError(reason));
  }
}
