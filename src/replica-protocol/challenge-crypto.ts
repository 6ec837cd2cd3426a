/**
 * The challenge-response arithmetic both sides run (docs/vendor-commands.md §Algorithms):
 *   D = SHA-256(extent bytes)  (ALGORITHM 0)  or  XXH3-128(extent bytes)  (ALGORITHM 1)
 *   HMAC mode:       V = HMAC-SHA-256(key = D, R ‖ LBA (8 bytes BE) ‖ EXTENT LENGTH (4 bytes BE))
 *   reversible mode: E = AES-256-ECB-Enc(key = D_P, R), R_B = AES-256-ECB-Dec(key = D_B, E),
 *                    R exactly one 16-byte block, no padding; ALGORITHM 0 only.
 * XXH3 is not in node:crypto: its digests come from the block layer (the addon), so here
 * an XXH3-128 source must be `{ digest }`.
 */
import { createCipheriv, createDecipheriv, createHash, createHmac } from 'node:crypto';
import {
  ChallengeAlgorithm,
  ChallengeMode,
  DEFINED_ALGORITHMS,
  REVERSIBLE_ANSWER_BYTES,
  digestBytes,
  modesOf,
  type ChallengeAlgorithmCode,
} from './constants.js';

/** What the answer is computed from: the extent's bytes (SHA-256 only), or its digest D when already known. */
export type ChallengeSource = { data: Buffer } | { digest: Buffer };

function checkAlgorithm(algorithm: number): void {
  if (!DEFINED_ALGORITHMS.includes(algorithm as ChallengeAlgorithmCode)) throw new RangeError(`unsupported challenge algorithm ${algorithm}`);
}

/** D of ALGORITHM 0 from the bytes; XXH3-128's D comes from the block layer. */
export function extentDigest(data: Buffer, algorithm: ChallengeAlgorithmCode = ChallengeAlgorithm.SHA256): Buffer {
  checkAlgorithm(algorithm);
  if (algorithm !== ChallengeAlgorithm.SHA256) throw new RangeError('XXH3-128 digests are computed by the block layer (digestParts); pass { digest }');
  return createHash('sha256').update(data).digest();
}

function digestOf(source: ChallengeSource, algorithm: ChallengeAlgorithmCode): Buffer {
  if ('digest' in source) {
    checkAlgorithm(algorithm);
    const bytes = digestBytes(algorithm);
    if (source.digest.length !== bytes) throw new RangeError(`digest must be ${bytes} bytes`);
    return source.digest;
  }
  return extentDigest(source.data, algorithm);
}

/** The HMAC message: nonce, then the block ID (LBA as 8 bytes and EXTENT LENGTH as 4 bytes, big-endian). */
export function challengeMessage(nonce: Buffer, lba: bigint, blocks: number): Buffer {
  const m = Buffer.allocUnsafe(nonce.length + 12);
  nonce.copy(m, 0);
  m.writeBigUInt64BE(lba, nonce.length);
  m.writeUInt32BE(blocks, nonce.length + 8);
  return m;
}

/** V = HMAC-SHA-256(key = D, R ‖ LBA ‖ EXTENT LENGTH): what the responder returns and the challenger recomputes. */
export function computeChallengeAnswer(
  source: ChallengeSource,
  nonce: Buffer,
  lba: bigint,
  blocks: number,
  algorithm: ChallengeAlgorithmCode = ChallengeAlgorithm.SHA256,
): Buffer {
  return createHmac('sha256', digestOf(source, algorithm)).update(challengeMessage(nonce, lba, blocks)).digest();
}

function oneBlock(b: Buffer, what: string): void {
  if (b.length !== REVERSIBLE_ANSWER_BYTES) throw new RangeError(`${what} must be ${REVERSIBLE_ANSWER_BYTES} bytes`);
}

/** The AES-256 key of reversible mode: D of an algorithm that allows the mode. */
function reversibleKey(source: ChallengeSource, algorithm: ChallengeAlgorithmCode): Buffer {
  checkAlgorithm(algorithm);
  if (!modesOf(algorithm).includes(ChallengeMode.REVERSIBLE)) throw new RangeError(`reversible mode is not defined for algorithm ${algorithm}`);
  return digestOf(source, algorithm);
}

/** Challenger, reversible mode: E = AES-256-ECB-Enc(key = D_P, R) for one 16-byte R. */
export function encryptChallenge(
  source: ChallengeSource,
  r: Buffer,
  algorithm: ChallengeAlgorithmCode = ChallengeAlgorithm.SHA256,
): Buffer {
  oneBlock(r, 'R');
  const c = createCipheriv('aes-256-ecb', reversibleKey(source, algorithm), null).setAutoPadding(false);
  return Buffer.concat([c.update(r), c.final()]);
}

/** Responder, reversible mode: R_B = AES-256-ECB-Dec(key = D_B, E); equals R iff D_B = D_P. */
export function decryptChallenge(
  source: ChallengeSource,
  e: Buffer,
  algorithm: ChallengeAlgorithmCode = ChallengeAlgorithm.SHA256,
): Buffer {
  oneBlock(e, 'E');
  const d = createDecipheriv('aes-256-ecb', reversibleKey(source, algorithm), null).setAutoPadding(false);
  return Buffer.concat([d.update(e), d.final()]);
}
