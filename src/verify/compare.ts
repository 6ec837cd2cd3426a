/** Comparing the reference's expected answers with the replica's, entry by entry. */

/** Indices (offset by `firstChunk`) of the entries whose answers differ. */
export function differingEntries(expected: readonly Buffer[], actual: readonly Buffer[], firstChunk: number): number[] {
  if (expected.length !== actual.length) throw new RangeError(`answer counts differ: ${expected.length} vs ${actual.length}`);
  const out: number[] = [];
  for (let i = 0; i < expected.length; i++) if (!expected[i]!.equals(actual[i]!)) out.push(firstChunk + i);
  return out;
}
