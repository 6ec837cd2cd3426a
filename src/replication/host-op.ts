/**
 * A host change of the live image, and the write paths that carry one: each state of the
 * engine (continuous sync, continuous async, delta tracking) is one WritePath.
 */
import type { BlockDevice } from '../block/device.js';
import type { BufferHold } from '../util/buffer-pool.js';

/** A write (with its data) or a discard (without). */
export interface HostOp {
  offset: number;
  length: number;
  data?: Buffer;
  fua: boolean;
  /** Keeps `data` from being reused past the op (BlockDevice.write); none: copy what is kept. */
  hold?: BufferHold;
}

export interface WritePath {
  /** Applies `op` locally and does what this path owes the backup; resolves when the host may be answered. */
  apply(op: HostOp): Promise<void>;
}

/** The op on the local image alone (delta tracking, or one side of a mirrored op). */
export function applyLocally(local: BlockDevice, op: HostOp, fua: boolean): Promise<void> {
  return op.data ? local.write(op.data, op.offset, fua, op.hold) : local.discard(op.offset, op.length);
}

/**
 * Continues a write path after a wait the engine may leave it during (activity-log room):
 * `onPath` if the engine is still on that path, else the write's extents are
 * released and it goes the engine's current way. The wait does not hold up the leaving,
 * which may be what ends it.
 */
export type AfterWait = (wait: Promise<unknown>, op: HostOp, onPath: () => Promise<void>) => Promise<void>;

/** Outside an engine (tests of one path): the path goes on. */
export const stayOnPath: AfterWait = (wait, _op, onPath) => wait.then(onPath);
