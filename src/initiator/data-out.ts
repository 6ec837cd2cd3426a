import { totalLength } from '../util/total-length.js';

/**
 * A command's Data-Out: one buffer, or several sent back to back as they are (a gather
 * list: a replica batch's WRITE SCATTERED carries the queued changes' own buffers instead
 * of a copy of them in one buffer).
 */
export class GatheredData {
  readonly length: number;

  constructor(readonly pieces: readonly Buffer[]) {
    this.length = totalLength(pieces);
  }

  /** Bytes [start, end) as views of the pieces, no copy. */
  slice(start: number, end: number): Buffer[] {
    const out: Buffer[] = [];
    let at = 0;
    for (const p of this.pieces) {
      const from = Math.max(start, at);
      const to = Math.min(end, at + p.length);
      if (from < to) out.push(from === at && to === at + p.length ? p : p.subarray(from - at, to - at));
      at += p.length;
      if (at >= end) break;
    }
    return out;
  }
}

export type DataOut = Buffer | GatheredData;

/** The buffers a Data-Out is sent from, in order. */
export function piecesOf(out: DataOut): readonly Buffer[] {
  return out instanceof GatheredData ? out.pieces : [out];
}

/** Bytes [start, end) of a Data-Out, as the transport sends them (one buffer or views of several). */
export function dataOutRange(out: DataOut, start: number, end: number): Buffer | Buffer[] {
  return out instanceof GatheredData ? out.slice(start, end) : out.subarray(start, end);
}
