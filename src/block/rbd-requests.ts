/**
 * The RBD store's requests in flight inside librbd, by id, until their completions come back
 * from the addon (several per call: librbd's threads batch them for the JS thread). Holding
 * a request here also holds its Buffer: librbd reads from or writes into that memory until
 * the completion, so the Buffer must stay referenced (and so unfreed) that long.
 */
import { getSystemErrorName } from 'node:util';
import { BlockIoError } from './device.js';
import { IntMap } from '../util/int-map.js';

interface Waiting {
  resolve: () => void;
  reject: (e: BlockIoError) => void;
  call: string;
  buffer: Buffer | undefined;
}

/** A BlockIoError from librbd's negative errno. */
export function rbdError(result: number, call: string, path: string): BlockIoError {
  const code = getSystemErrorName(result);
  return new BlockIoError(code, -result, `${code}: ${call} failed (${path})`);
}

export class RbdRequests {
  private readonly waiting = new IntMap<Waiting>();
  private nextId = 0;

  constructor(
    private readonly path: string,
    /** Called once per request when it settles (the store's in-flight count). */
    private readonly settled: () => void,
  ) {}

  /**
   * Submits through `start(id)`, which returns librbd's answer: 0 (the completion follows)
   * or a negative errno (refused, nothing follows). The caller has counted the request in
   * flight; `settled` runs when it resolves or rejects.
   */
  submit(call: string, buffer: Buffer | undefined, start: (id: number) => number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.nextId = this.nextId === 0x7fffffff ? 1 : this.nextId + 1;
      const id = this.nextId;
      this.waiting.set(id, { resolve, reject, call, buffer });
      let refused: number;
      try {
        refused = start(id);
      } catch (e) {
        // A bad argument (the addon throws): nothing was submitted.
        this.waiting.delete(id);
        this.settled();
        throw e;
      }
      if (refused !== 0) this.settle(id, refused);
    });
  }

  /** The addon's onComplete: (id, 0 or -errno) pairs. */
  readonly complete = (pairs: Int32Array): void => {
    for (let i = 0; i < pairs.length; i += 2) this.settle(pairs[i]!, pairs[i + 1]!);
  };

  private settle(id: number, result: number): void {
    const request = this.waiting.get(id);
    if (!request) return;
    this.waiting.delete(id);
    this.settled();
    if (result === 0) request.resolve();
    else request.reject(rbdError(result, request.call, this.path));
  }
}
