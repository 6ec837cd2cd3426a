/**
 * Extent digests and the keyed function over them (docs/vendor-commands.md §1), all from
 * the addon, so that the SCSI layer, the verify engine and replication reach it only
 * through the block layer. HMAC-SHA-256 runs once per list entry on the event loop, hence
 * the addon's (about half node:crypto's cost per call).
 */
import { native, type NativeDigestAlgorithm } from '../native/index.js';

export { hmacSha256 } from '../native/index.js';

/** 'sha256' (32 bytes) or 'xxh3' (XXH3-128, 16 bytes, canonical big-endian form). */
export type DigestAlgorithm = NativeDigestAlgorithm;

/** What this build hashes with: 'xxh3' only where the addon was built against libxxhash-dev. */
export const DIGEST_ALGORITHMS: readonly DigestAlgorithm[] = native.digestAlgorithms;

export function digestLength(algorithm: DigestAlgorithm): number {
  return algorithm === 'sha256' ? 32 : 16;
}

/**
 * The digest of the parts' concatenation, in memory and on the calling thread, into `out`
 * at `offset` (a new Buffer when `out` is omitted).
 */
export function digestParts(algorithm: DigestAlgorithm, parts: readonly Buffer[], out?: Buffer, offset = 0): Buffer {
  const into = out ?? Buffer.allocUnsafe(digestLength(algorithm));
  native.digestInto(algorithm, parts, into, offset);
  return into;
}
