import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Whether `a` and `b` hold the same bytes (strings as UTF-8), in a time that tells neither
 * where they first differ nor whether their lengths do: timingSafeEqual needs equal lengths,
 * so both are compared as SHA-256 digests (32 bytes whatever went in). For secrets and the
 * values checked against them (CHAP_N, CHAP_R).
 */
export function constantTimeEqual(a: Uint8Array | string, b: Uint8Array | string): boolean {
  return timingSafeEqual(digest(a), digest(b));
}

function digest(v: Uint8Array | string): Buffer {
  return createHash('sha256').update(v).digest();
}
