/**
 * Which volume a replica belongs to. The replica carries the volume UUID's 48-bit tag as
 * a persistent-reservation key (volume-tag-pr.ts), so a primary can tell its own replica
 * from another volume's even when the replica is not a Tandem node.
 */
import type { ReplicaLink, VolumeTag } from './replica-link.js';
import { tagOfVolume } from './volume-tag-pr.js';
import type { VolumeState } from './volume-state.js';

/** The primary pointed at a replica that belongs to another volume. */
export class ReplicaMismatchError extends Error {
  constructor(
    readonly ownTag: VolumeTag,
    readonly foundTags: readonly VolumeTag[],
    /** The peer's generation, when it is a Tandem node that says it holds data. */
    peerGeneration?: string,
  ) {
    // The likeliest cause after a failure is this node's disk replaced: --start-over would
    // then overwrite the only copy of the data, so the safe way round comes first.
    super(
      `the replica belongs to another volume (its tag ${foundTags.map(hexTag).join(', ')}, ours ${hexTag(ownTag)}` +
        `${peerGeneration ? `; it holds that volume's data, generation ${peerGeneration}` : ''}); refusing to replicate onto it. ` +
        'If this node\'s disk was replaced, promote the peer (tandem promote there) and restart this node with --role backup to be resynchronised from it; ' +
        'if --replica names the wrong node, point it at this volume\'s backup; --start-over overwrites the replica with this node\'s image',
    );
    this.name = 'ReplicaMismatchError';
  }
}

export function hexTag(tag: VolumeTag): string {
  return tag.toString(16).padStart(12, '0');
}

export type BindOutcome =
  /** The replica is ours and holds a synced image of our generation. */
  | 'bound'
  /** The replica was blank or taken over: it needs a full resynchronisation. */
  | 'needs-full-sync';

/**
 * The identity check: refuses a replica tagged with another volume unless `startOver`;
 * claims a blank (or, with startOver, foreign) replica and bumps the generation.
 * `holdsNothing`: the replica says it holds no history (a Tandem peer's generation is
 * blank), so even our tag on it does not make it a synced replica.
 */
export async function bindReplica(volume: VolumeState, link: ReplicaLink, startOver: boolean, holdsNothing = false): Promise<BindOutcome> {
  const identity = volume.identity;
  const own = tagOfVolume(identity.volumeId);
  const tags = await link.readTags();
  const foreign = tags.filter((t) => t !== own);
  if (foreign.length > 0 && !startOver) throw new ReplicaMismatchError(own, foreign);
  if (foreign.length === 0 && tags.includes(own) && identity.replicaSynced && !holdsNothing) return 'bound';
  await link.claim(own, foreign);
  // A replica we had synced but which lost our tag, or any takeover, starts a new generation.
  await volume.update((r) => ({ generation: r.generation + (foreign.length > 0 || r.replicaSynced ? 1 : 0), replicaSynced: false }));
  return 'needs-full-sync';
}
