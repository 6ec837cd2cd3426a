/**
 * SHA-256 of many extents of a device in one call. FileBlockStore hashes a whole list in
 * one native job on the threadpool (digestExtents); stores without that method fall back
 * to their per-range sha256, awaited in sequence inside this one async function.
 */
import type { BlockDevice } from '../../block/device.js';
import { DIGEST_BYTES } from '../../replica-protocol/index.js';

/** The optional batch method FileBlockStore has (proposed for BlockDevice itself). */
export interface BatchDigester {
  digestExtents(extents: Float64Array): Promise<Buffer>;
}

function canBatch(device: BlockDevice): device is BlockDevice & BatchDigester {
  return typeof (device as Partial<BatchDigester>).digestExtents === 'function';
}

/** `extents` holds (byte offset, byte length) pairs; the result holds 32 bytes per pair, in order. */
export function digestExtents(device: BlockDevice, extents: Float64Array): Promise<Buffer> {
  if (canBatch(device)) return device.digestExtents(extents);
  return digestOneByOne(device, extents);
}

async function digestOneByOne(device: BlockDevice, extents: Float64Array): Promise<Buffer> {
  const out = Buffer.allocUnsafe((extents.length / 2) * DIGEST_BYTES);
  for (let i = 0; i < extents.length; i += 2) {
    const d = await device.sha256(extents[i]!, extents[i + 1]!);
    d.copy(out, (i / 2) * DIGEST_BYTES);
  }
  return out;
}
