/**
 * Verify on a running pair. The scan reads a chunk on the source and on the replica at
 * slightly different moments, so a chunk the host writes meanwhile (on the replica a few
 * milliseconds later) differs in the scan with nothing wrong: measured by hand, ~1,000 of
 * 4,096 chunks under a steady write load, every run. The chunks the scan found are
 * challenged again once the pair has caught up with what the host had written, for a few
 * rounds, only those still differing each time; a difference that is real survives every
 * round. Chunks the pair itself marks as differing (its next pass copies them) are
 * reported apart: they are not news.
 */
/** What the running primary tells verify about its pair. */
export interface LivePair {
  /** Resolves once the replica holds every write the source had acknowledged at the call (at once where nothing is mirrored continuously). */
  caughtUp(): Promise<void>;
  /** Whether the pair already knows these bytes differ (marked for its next pass). */
  marked(offset: number, length: number): boolean;
}

/** Rounds after the scan: a chunk the host keeps rewriting may differ in one, rarely in all. */
export const RECHECK_ROUNDS = 4;

export interface RecheckResult {
  /** Chunks that still differ, and that the pair does not know of. */
  differing: number[];
  /** Chunks the pair marks for its next pass. */
  pending: number[];
  /** Chunks the scan found different that were equal once the pair had caught up. */
  settled: number;
}

/**
 * `challenge` answers which of the given chunks differ now; `bytesOf` maps a chunk to its
 * byte range. Ascending in, ascending out.
 */
export async function recheckLive(
  found: readonly number[],
  pair: LivePair,
  challenge: (chunks: readonly number[]) => Promise<number[]>,
  bytesOf: (chunk: number) => { offset: number; length: number },
): Promise<RecheckResult> {
  const pending: number[] = [];
  let left = [...found];
  for (let round = 0; round < RECHECK_ROUNDS && left.length > 0; round++) {
    await pair.caughtUp();
    const still = await challenge(left);
    left = [];
    // Marks are read after the answers: a chunk marked by then is one the pair knows of.
    for (const chunk of still) {
      const { offset, length } = bytesOf(chunk);
      (pair.marked(offset, length) ? pending : left).push(chunk);
    }
  }
  pending.sort((a, b) => a - b);
  return { differing: left, pending, settled: found.length - left.length - pending.length };
}
