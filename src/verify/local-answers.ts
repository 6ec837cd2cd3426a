/**
 * The challenger's own side (docs/vendor-commands.md §1) for bytes or digests it holds:
 * V_P = HMAC-SHA-256(D_P, R ‖ LBA ‖ EXTENT LENGTH) with D_P hashed by this build's addon,
 * and the choice of algorithm between this build and a responder. Shared by the verify
 * engine's local reference and by replication's delta passes.
 */
import { DIGEST_ALGORITHMS, digestParts, hmacSha256 } from '../block/digest.js';
import {
  ALGORITHM_DIGEST,
  ChallengeAlgorithm,
  challengeAlgorithmsOf,
  challengeMessage,
  chooseChallengeAlgorithm,
  digestBytes,
  type ChallengeAlgorithmCode,
  type ChallengeEntry,
} from '../replica-protocol/index.js';

/** The algorithms this build can answer or check (XXH3-128 only where built with libxxhash-dev). */
export const LOCAL_ALGORITHMS: readonly ChallengeAlgorithmCode[] = challengeAlgorithmsOf(DIGEST_ALGORITHMS);

/** The fastest algorithm this build and a responder advertising `peer` (VPD C0h) share; SHA-256 when unknown. */
export function sharedAlgorithm(peer: readonly number[] | undefined): ChallengeAlgorithmCode {
  return chooseChallengeAlgorithm(peer ?? [ChallengeAlgorithm.SHA256], LOCAL_ALGORITHMS) ?? ChallengeAlgorithm.SHA256;
}

/** V_P of each entry from `digests` (one D per entry, back to back, as BlockDevice.digestExtents returns them). */
export function answersFromDigests(digests: Buffer, entries: readonly ChallengeEntry[], algorithm: ChallengeAlgorithmCode): Buffer[] {
  const size = digestBytes(algorithm);
  return entries.map((e, i) => hmacSha256(digests.subarray(i * size, (i + 1) * size), challengeMessage(e.nonce, e.lba, e.blocks)));
}

/** V_P of one extent whose bytes are in memory. */
export function answerForData(data: Buffer, entry: ChallengeEntry, algorithm: ChallengeAlgorithmCode): Buffer {
  return answersFromDigests(digestParts(ALGORITHM_DIGEST[algorithm], [data]), [entry], algorithm)[0]!;
}
