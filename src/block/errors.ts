/** Building BlockIoErrors from native failures and from the stores' own checks. */
import { constants } from 'node:os';
import { BlockIoError } from './device.js';
import type { NativeError } from '../native/index.js';

export function fromNativeError(err: NativeError, path: string): BlockIoError {
  return new BlockIoError(err.code, err.errno, `${err.message} (${path})`);
}

/** An error the store raises itself, before any system call; `code` is an errno name. */
export function blockError(code: keyof typeof constants.errno, message: string): BlockIoError {
  return new BlockIoError(code, constants.errno[code], message);
}

/** The disk is full: from a store, from a metadata file beside it, from a copy-on-write. */
export function isOutOfSpace(e: unknown): boolean {
  return (e as NodeJS.ErrnoException | undefined)?.code === 'ENOSPC';
}

/** Rejects ranges outside [0, size): the SCSI layer checks LBAs first, so this is a bug guard. */
export function checkRange(offset: number, length: number, size: number, path: string): BlockIoError | null {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) {
    return blockError('EINVAL', `invalid range offset=${offset} length=${length} (${path})`);
  }
  if (offset + length > size) {
    return blockError('EINVAL', `range offset=${offset} length=${length} beyond end of device size=${size} (${path})`);
  }
  return null;
}

/** Rejects a digest algorithm the store cannot compute: callers check digestAlgorithms first, so this is a bug guard too. */
export function checkDigest(algorithm: string, supported: readonly string[], path: string): BlockIoError | null {
  return supported.includes(algorithm) ? null : blockError('ENOTSUP', `digest algorithm ${algorithm} is not in this build (${path})`);
}

/**
 * Why a digestExtents request must be refused, or null: odd-length extents, an algorithm the
 * store lacks, or the first extent `refuseRange` refuses. Every extent is checked before any
 * is hashed.
 */
export function refuseDigestRequest(
  extents: Float64Array,
  algorithm: string,
  supported: readonly string[],
  path: string,
  refuseRange: (offset: number, length: number) => BlockIoError | null,
): BlockIoError | null {
  if (extents.length % 2 !== 0) return blockError('EINVAL', 'extents must be (offset, length) pairs');
  const unsupported = checkDigest(algorithm, supported, path);
  if (unsupported) return unsupported;
  for (let i = 0; i < extents.length; i += 2) {
    const refused = refuseRange(extents[i]!, extents[i + 1]!);
    if (refused) return refused;
  }
  return null;
}
