/**
 * Verify on a running pair. The scan reads a chunk on the source and on the replica at
 * slightly different moments, so a chunk the host writes meanwhile (on the replica a few
 * milliseconds later) differs in the scan with nothing wrong: measured by hand, ~1,000 of
 * 4,096 chunks under a steady write load, every run. The chunks the scan found are
 * challenged again once the pair has caught up with what the host had written, which
 * settles nearly all of them; what still differs is challenged a last time with host writes
 * held and the pair caught up under the hold, so nothing is in flight: a chunk that differs
 * then differs for real. Chunks the pair itself marks as differing (its next pass copies
 * them) are reported apart: they are not news.
 */

/** What the running primary tells verify about its pair. */
export interface LivePair {
  /** Resolves once the replica holds every write the source had acknowledged at the call (at once where nothing is mirrored continuously). */
  caughtUp(): Promise<void>;
  /** Runs `fn` with host writes held and the replica caught up (as a pass fixes its point in time). */
  holding<T>(fn: () => Promise<T>): Promise<T>;
  /** Whether the pair already knows these bytes differ (marked for its next pass). */
  marked(offset: number, length: number): boolean;
}

/** Chunks challenged under one hold of the host's writes (16 MiB at 64 KiB chunks). */
export const HELD_CHUNKS = 256;

export interface RecheckResult {
  /** Chunks that differ, and that the pair does not know of. */
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
  // Marks are read right after the answers: a chunk marked by then is one the pair knows of.
  const unknownToPair = (still: readonly number[]): number[] =>
    still.filter((chunk) => {
      const { offset, length } = bytesOf(chunk);
      if (!pair.marked(offset, length)) return true;
      pending.push(chunk);
      return false;
    });
  let left: number[] = [];
  if (found.length > 0) {
    await pair.caughtUp();
    left = unknownToPair(await challenge(found));
  }
  // Few by now, normally; a held round covers at most HELD_CHUNKS, so however many are left
  // (a backup changed wholesale) the host's writes wait one short round of challenges at a time.
  const real: number[] = [];
  for (let at = 0; at < left.length; at += HELD_CHUNKS) {
    const group = left.slice(at, at + HELD_CHUNKS);
    for (const c of await pair.holding(async () => unknownToPair(await challenge(group)))) real.push(c);
  }
  left = real;
  pending.sort((a, b) => a - b);
  return { differing: left, pending, settled: found.length - left.length - pending.length };
}
