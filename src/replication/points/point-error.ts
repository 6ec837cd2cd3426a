/**
 * The two ways the point store says no. Both carry one line (no newline), fit for a log
 * field or a CLI's stderr as they are.
 *
 * - `PointError`: the caller asked for something the store cannot do now — an id it does
 *   not hold (never taken, pruned, or dropped by a restore), a take whose id does not
 *   increase, a range outside the volume, a label too long. It is a RangeError (every case
 *   is an argument out of what the store holds), so `take`'s "a smaller or equal id →
 *   RangeError" and "errors are PointError" are the same error.
 * - `PointFormatError`: bytes on disk (the catalogue, a store's map header) that are not a
 *   valid record; `reason` says which check failed, so tests (and a log) can tell them apart.
 */
export class PointError extends RangeError {
  constructor(message: string) {
    super(oneLine(message));
    this.name = 'PointError';
  }
}

export type PointFormatReason = 'short' | 'magic' | 'version' | 'length' | 'crc' | 'field' | 'order' | 'label' | 'geometry';

export class PointFormatError extends Error {
  constructor(
    readonly reason: PointFormatReason,
    message: string,
  ) {
    super(oneLine(message));
    this.name = 'PointFormatError';
  }
}

function oneLine(message: string): string {
  return message.replace(/\s*\n\s*/g, ' ');
}
