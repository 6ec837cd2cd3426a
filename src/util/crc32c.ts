/**
 * CRC32C (Castagnoli) as iSCSI header/data digests use it, computed natively
 * (SSE4.2 where available). Chain with `initial`: crc32c(b, crc32c(a)) === crc32c(a ++ b).
 * On the wire (RFC 3720 B.4) the digest is sent least-significant byte first:
 * `buf.writeUInt32LE(crc32c(data))`.
 */
import { native } from '../native/addon.js';

export const crc32c: (buf: Uint8Array, initial?: number) => number = native.crc32c;
