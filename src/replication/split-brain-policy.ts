/**
 * Automatic split-brain resolution (`afterSplitBrain`), DRBD's after-sb policies. Both
 * nodes evaluate it on the same figures, mirrored, so at most one of them gives up its
 * changes; a tie resolves nothing.
 */
export const SPLIT_BRAIN_POLICIES = ['disconnect', 'discard-zero-changes', 'discard-least-changes', 'discard-younger-primary'] as const;
export type SplitBrainPolicy = (typeof SPLIT_BRAIN_POLICIES)[number];

export interface SplitBrainSide {
  /** Bytes changed since the common generation. */
  changedBytes: number;
  /** When the side's current generation began (its promotion or divergence). */
  since: number;
}

/** Which side discards its changes: 'self', 'peer', or undefined (nobody: wait for `tandem resolve`). */
export function splitBrainVictim(policy: SplitBrainPolicy, self: SplitBrainSide, peer: SplitBrainSide): 'self' | 'peer' | undefined {
  const pick = (selfLoses: boolean, peerLoses: boolean) => (selfLoses === peerLoses ? undefined : selfLoses ? 'self' : 'peer');
  switch (policy) {
    case 'disconnect':
      return undefined;
    case 'discard-zero-changes':
      return pick(self.changedBytes === 0, peer.changedBytes === 0);
    case 'discard-least-changes':
      return pick(self.changedBytes < peer.changedBytes, peer.changedBytes < self.changedBytes);
    case 'discard-younger-primary':
      return pick(self.since > peer.since, peer.since > self.since);
  }
}

export function parseSplitBrainPolicy(text: string): SplitBrainPolicy {
  if (!(SPLIT_BRAIN_POLICIES as readonly string[]).includes(text)) throw new RangeError(`afterSplitBrain must be one of ${SPLIT_BRAIN_POLICIES.join(', ')}`);
  return text as SplitBrainPolicy;
}
