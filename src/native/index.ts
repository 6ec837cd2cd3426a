/**
 * Typed access to the native addon: the raw callback interface, and promise
 * wrappers that cost one promise per I/O (no chains).
 */
import { native, type NativeAllocation, type NativeDigestAlgorithm, type NativeError } from './addon.js';

export { native };
export type {
  NativeAddon,
  NativeAllocation,
  NativeCallback,
  NativeDigestAlgorithm,
  NativeError,
  NativeOpenOptions,
  NativeOpenResult,
  NativeRbdImage,
  NativeRbdOpenOptions,
} from './addon.js';

export function isNativeError(e: unknown): e is NativeError {
  return e instanceof Error && typeof (e as NativeError).code === 'string' && typeof (e as NativeError).errno === 'number';
}

function settle<T>(resolve: (value: T) => void, reject: (e: NativeError) => void) {
  return (err: NativeError | null, result: T) => (err ? reject(err) : resolve(result));
}

export function pread(fd: number, buf: Buffer, offset: number): Promise<void> {
  return new Promise((resolve, reject) => native.pread(fd, buf, offset, settle<undefined>(resolve, reject)));
}

export function pwrite(fd: number, buf: Buffer, offset: number, fua = false): Promise<void> {
  return new Promise((resolve, reject) =>
    (fua ? native.pwriteFua : native.pwrite)(fd, buf, offset, settle<undefined>(resolve, reject)),
  );
}

export function preadv(fd: number, bufs: readonly Buffer[], offset: number): Promise<void> {
  return new Promise((resolve, reject) => native.preadv(fd, bufs, offset, settle<undefined>(resolve, reject)));
}

export function pwritev(fd: number, bufs: readonly Buffer[], offset: number, fua = false): Promise<void> {
  return new Promise((resolve, reject) =>
    (fua ? native.pwritevFua : native.pwritev)(fd, bufs, offset, settle<undefined>(resolve, reject)),
  );
}

export function fdatasync(fd: number): Promise<void> {
  return new Promise((resolve, reject) => native.fdatasync(fd, settle<undefined>(resolve, reject)));
}

export function discard(fd: number, offset: number, length: number, isBlockDevice: boolean): Promise<void> {
  return new Promise((resolve, reject) =>
    native.discard(fd, offset, length, isBlockDevice, settle<undefined>(resolve, reject)),
  );
}

export function allocation(fd: number, offset: number, maxLength: number): Promise<NativeAllocation> {
  return new Promise((resolve, reject) => native.allocation(fd, offset, maxLength, settle(resolve, reject)));
}

export function sha256File(fd: number, offset: number, length: number): Promise<Buffer> {
  return new Promise((resolve, reject) => native.sha256File(fd, offset, length, settle(resolve, reject)));
}

/** Digests of many extents in one worker: one digest per (offset, length) pair, in order. */
export function digestExtents(fd: number, extents: Float64Array | BigUint64Array, algorithm: NativeDigestAlgorithm): Promise<Buffer> {
  return new Promise((resolve, reject) => native.digestExtents(fd, extents, algorithm, settle(resolve, reject)));
}

export function sha256(buf: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => native.sha256(buf, settle(resolve, reject)));
}

export const sha256Sync: (buf: Buffer) => Buffer = native.sha256Sync;
export const hmacSha256: (key: Buffer, data: Buffer) => Buffer = native.hmacSha256;
