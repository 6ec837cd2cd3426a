/**
 * What the addon-backed stores (file, RBD) share around their native calls: the state and
 * range checks before a call, and an in-flight count so that close() never releases a
 * handle (a file descriptor, an RBD image) that a worker thread or librbd still uses: a
 * reused descriptor would take someone else's writes, a closed image would crash.
 */
import type { BlockIoError } from './device.js';
import type { DigestAlgorithm } from './digest.js';
import { blockError, checkRange, fromNativeError, refuseDigestRequest } from './errors.js';
import type { NativeCallback, NativeError } from '../native/index.js';

export class IoGate {
  private inFlight = 0;
  private onIdle: (() => void) | null = null;
  private closing: Promise<void> | null = null;

  constructor(
    private readonly path: string,
    private readonly size: number,
    private readonly readOnly: boolean,
  ) {}

  /** Why [offset, offset + length) cannot be read (or written, with `writes`) now, or null. */
  refuse(offset: number, length: number, writes: boolean): BlockIoError | null {
    if (this.closing) return blockError('EBADF', `store closed (${this.path})`);
    if (writes && this.readOnly) return blockError('EROFS', `store is read-only (${this.path})`);
    return checkRange(offset, length, this.size, this.path);
  }

  /** As refuse, for an allocation query: `offset` must lie inside the device. */
  refuseAllocation(offset: number): BlockIoError | null {
    const refused = this.refuse(offset, 0, false);
    if (refused || offset < this.size) return refused;
    return blockError('EINVAL', `offset ${offset} at or beyond end of device size=${this.size} (${this.path})`);
  }

  /** As refuse, for a digest request: every extent is checked before any is hashed. */
  refuseDigest(extents: Float64Array, algorithm: DigestAlgorithm, supported: readonly DigestAlgorithm[]): BlockIoError | null {
    return refuseDigestRequest(extents, algorithm, supported, this.path, (offset, length) => this.refuse(offset, length, false));
  }

  /** Counts one native operation in flight; `end` it exactly once. */
  begin(): void {
    this.inFlight++;
  }

  end(): void {
    if (--this.inFlight === 0 && this.onIdle) this.onIdle();
  }

  /**
   * One callback-style native call, counted in flight, its error made a BlockIoError. A call
   * the addon refuses by throwing (a bad argument) started nothing: it is no longer counted,
   * and the promise rejects with what was thrown (else close() would wait for it forever).
   */
  call<T>(start: (cb: NativeCallback<T>) => void): Promise<T> {
    return new Promise((resolve, reject) => {
      this.begin();
      try {
        start((err, result) => {
          this.end();
          if (err) reject(fromNativeError(err, this.path));
          else resolve(result);
        });
      } catch (e) {
        this.end();
        reject(e);
      }
    });
  }

  /** Waits for everything in flight, then runs `release` once; later calls get the same promise. */
  close(release: () => Promise<void> | void): Promise<void> {
    this.closing ??= (async () => {
      if (this.inFlight > 0) await new Promise<void>((resolve) => (this.onIdle = resolve));
      try {
        await release();
      } catch (e) {
        throw fromNativeError(e as NativeError, this.path);
      }
    })();
    return this.closing;
  }
}
