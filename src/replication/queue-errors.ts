/* Why the send queue refuses a change or drops a recovery point. */

/** A point the queue will never send (the engine left continuous mirroring, or closed). */
export class PointDroppedError extends Error {
  constructor(reason: string) {
    super(`the recovery point was not taken: ${reason}`);
    this.name = 'PointDroppedError';
  }
}

export class QueueFullError extends Error {
  constructor(readonly bytes: number) {
    super(`the send queue and its staging journal cannot take ${bytes} more bytes`);
    this.name = 'QueueFullError';
  }
}
