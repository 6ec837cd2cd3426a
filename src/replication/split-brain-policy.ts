/**
 * Automatic split-brain resolution (`afterSplitBrain`), DRBD's after-sb policies. Both
 * nodes evaluate it on the same figures, mirrored, and every tie is broken the same way on
 * both (the younger generation, then the lower generation id, gives way), so exactly one of
 * them gives up its changes whenever the policy applies.
 */
export const SPLIT_BRAIN_POLICIES = ['disconnect', 'discard-zero-changes', 'discard-least-changes', 'discard-younger-primary'] as const;
export type SplitBrainPolicy = (typeof SPLIT_BRAIN_POLICIES)[number];

export interface SplitBrainSide {
  /** Bytes changed since the common generation. */
  changedBytes: number;
  /** When the side's current generation began (its promotion or divergence). */
  since: number;
  /** The side's current generation: the two differ in a split brain, and both nodes know both. */
  current: bigint;
}

/** Which side discards its changes: 'self', 'peer', or undefined (nobody: wait for `tandem resolve`). */
export function splitBrainVictim(policy: SplitBrainPolicy, self: SplitBrainSide, peer: SplitBrainSide): 'self' | 'peer' | undefined {
  const pick = (selfLoses: boolean, peerLoses: boolean) => (selfLoses === peerLoses ? undefined : selfLoses ? 'self' : 'peer');
  switch (policy) {
    case 'disconnect':
      return undefined;
    case 'discard-zero-changes': {
      const zero = { self: self.changedBytes === 0, peer: peer.changedBytes === 0 };
      // Neither changed anything: giving way costs nothing, but one of them must, or both wait.
      return zero.self && zero.peer ? younger(self, peer) : pick(zero.self, zero.peer);
    }
    case 'discard-least-changes':
      return self.changedBytes === peer.changedBytes ? younger(self, peer) : self.changedBytes < peer.changedBytes ? 'self' : 'peer';
    case 'discard-younger-primary':
      return younger(self, peer);
  }
}

/**
 * The side whose generation began later; at the same moment, the one with the lower
 * generation id. Both nodes hold both sides' figures, so they name the same side.
 */
function younger(self: SplitBrainSide, peer: SplitBrainSide): 'self' | 'peer' | undefined {
  if (self.since !== peer.since) return self.since > peer.since ? 'self' : 'peer';
  if (self.current === peer.current) return undefined;
  return self.current < peer.current ? 'self' : 'peer';
}

export function parseSplitBrainPolicy(text: string): SplitBrainPolicy {
  if (!(SPLIT_BRAIN_POLICIES as readonly string[]).includes(text)) throw new RangeError(`afterSplitBrain must be one of ${SPLIT_BRAIN_POLICIES.join(', ')}`);
  return text as SplitBrainPolicy;
}
