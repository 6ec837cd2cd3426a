/**
 * What a pass does with one of its chunks, from where data is allocated (docs/replication.md,
 * "First sync and resync by allocation"). A chunk empty on both sides holds zeroes on both:
 * nothing moves. Data only at the source must move, so challenging it would only cost a
 * round trip. Data only on the replica is deallocated there (never overwritten with zeroes).
 * Where both hold data, a pass that cannot assume the chunk differs (first sync, resync)
 * challenges it as before, and a delta pass sends it. A replica that cannot tell its
 * allocation gets exactly what it got before allocation was asked.
 */

export const ChunkAction = {
  /** Nothing to move: its mark is cleared with the pass. */
  SKIP: 0,
  /** Send the chunk's bytes without asking: the replica holds nothing there (so its zero blocks need not move). */
  SEND: 1,
  /** Deallocate the chunk on the replica. */
  UNMAP: 2,
  /** Challenge the replica; send only if the answers differ. */
  CHALLENGE: 3,
  /** Send the chunk's bytes whole over whatever the replica holds (a delta pass's changed chunk). */
  OVERWRITE: 4,
} as const;
export type ChunkActionCode = (typeof ChunkAction)[keyof typeof ChunkAction];

/**
 * `source`: the chunk holds data at the pass's point in time (true when that is not known).
 * `replica`: it holds data on the replica (undefined when the replica cannot tell).
 * `compare`: the pass challenges before it sends (a first sync or a resync).
 */
export function chunkAction(source: boolean, replica: boolean | undefined, compare: boolean): ChunkActionCode {
  if (replica === undefined) return compare ? ChunkAction.CHALLENGE : ChunkAction.OVERWRITE;
  if (!source) return replica ? ChunkAction.UNMAP : ChunkAction.SKIP;
  if (!replica) return ChunkAction.SEND;
  return compare ? ChunkAction.CHALLENGE : ChunkAction.OVERWRITE;
}

/** Whether chunkAction's answer depends on the replica, given the source (so whether to ask it). */
export function needsReplica(source: boolean, compare: boolean): boolean {
  return compare || !source;
}
