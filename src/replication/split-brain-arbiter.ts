/**
 * Keeps the two nodes' automatic split-brain decisions from both giving way. Each node
 * judges its own changed bytes as they are now against its peer's as the peer reported
 * them a moment before, while both keep taking writes; a node that decided to give way
 * still took writes until its demotion landed, so a peer judging meanwhile saw it grown
 * past its own count and gave way too (no primary left). So once a node decides to give
 * way, it reports the figure it decided on until it has given up that generation: the
 * counts either node compares then never cross in the other's favour. Judged again at every
 * bind while the split brain lasts, so two nodes that each judged the other the loser
 * (their counts crossed between the reads) settle once the counts they read agree.
 */
import type { Logger } from '../util/log.js';
import { formatGeneration } from './generations.js';
import type { SplitBrain } from './replica-binding.js';
import { splitBrainVictim, type SplitBrainPolicy, type SplitBrainSide } from './split-brain-policy.js';

export type SplitBrainVictim = 'self' | 'peer' | undefined;

export class SplitBrainArbiter {
  /** What the last judgement decided, and since when. */
  last: (SplitBrain & { at: number; victim: SplitBrainVictim }) | undefined;
  /** This node decided to give way: the generation it gives up, and the changed bytes it decided on. */
  private givingWay: { current: bigint; changedBytes: number } | undefined;
  private resolving = false;

  /**
   * The binding found a split brain (`again`: it still holds since the last bind): judge
   * it, log it (once per detection and per change of mind), and give way if this node loses.
   */
  found(policy: SplitBrainPolicy, self: SplitBrainSide, sb: SplitBrain, again: boolean, on: { at: number; log: Logger; giveWay: () => Promise<unknown> }): void {
    const victim = this.judge(policy, self, { changedBytes: sb.peer.changedBytes, since: sb.peer.since, current: sb.peer.current });
    const news = !again || victim !== this.last?.victim;
    this.last = { ...sb, at: news ? on.at : (this.last?.at ?? on.at), victim };
    if (news) {
      on.log.error(
        { event: 'split-brain', common: formatGeneration(sb.common), localChangedBytes: self.changedBytes, peerChangedBytes: sb.peer.changedBytes, policy, victim: victim ?? 'none' },
        victim === 'self' ? "split brain: discarding this node's changes (afterSplitBrain policy)" : 'split brain: no data moves until `tandem resolve --discard-local` runs on one node',
      );
    }
    if (victim !== 'self' || this.resolving) return;
    // A failed resolution is tried again at the next judgement (the next bind still finds the split brain).
    this.resolving = true;
    on.giveWay()
      .catch((e: unknown) => on.log.error({ event: 'split-brain-resolve-failed', error: (e as Error).message }, 'automatic split-brain resolution failed'))
      .finally(() => (this.resolving = false));
  }

  /** Which side gives way. A node that decided to give way keeps to it for as long as it holds that generation. */
  judge(policy: SplitBrainPolicy, self: SplitBrainSide, peer: SplitBrainSide): SplitBrainVictim {
    if (this.givingWay?.current === self.current) return 'self';
    const victim = splitBrainVictim(policy, self, peer);
    this.givingWay = victim === 'self' ? { current: self.current, changedBytes: self.changedBytes } : undefined;
    return victim;
  }

  /** The changed bytes to report to the peer (VPD C1h) for generation `current`, of which `changedBytes` are marked now. */
  reported(current: bigint, changedBytes: number): number {
    return this.givingWay?.current === current ? this.givingWay.changedBytes : changedBytes;
  }

  /** The policy changed (an operator's word): a decision taken under the old one no longer holds. */
  reset(): void {
    this.givingWay = undefined;
  }
}
