import type { WriteData } from '../../src/replication/replica-link.js';

/** The buffers a link write came in: one, or a gather list's pieces. */
export function piecesOfWrite(data: WriteData): readonly Buffer[] {
  return Buffer.isBuffer(data) ? [data] : data;
}

/** A copy of a link write's bytes in one buffer (the fake links keep what they were sent). */
export function copyOfWrite(data: WriteData): Buffer {
  return Buffer.concat(piecesOfWrite(data));
}
