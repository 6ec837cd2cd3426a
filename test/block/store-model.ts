/**
 * The model every BlockDevice must match (test/block/stores-match-model.test.ts for the file
 * and memory stores, test/block/rbd-store.test.ts for RBD): random writes and discards
 * applied to the store and to a flat buffer.
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import type { BlockDevice } from '../../src/block/device.js';
import { digestLength, digestParts } from '../../src/block/digest.js';

/** The device size the ops and digested extents assume. */
export const SIZE = 512 * 1024;
const BLOCK = 512;

export type Op =
  | { kind: 'write'; block: number; blocks: number; fill: number }
  | { kind: 'discard'; block: number; blocks: number };

export const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('write' as const), block: fc.nat(SIZE / BLOCK - 1), blocks: fc.integer({ min: 1, max: 300 }), fill: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ kind: fc.constant('discard' as const), block: fc.nat(SIZE / BLOCK - 1), blocks: fc.integer({ min: 1, max: 300 }) }),
);

/** Extents that cross 64 KiB chunk boundaries, start and end unaligned, and cover the whole device. */
const DIGESTED = [0, SIZE, 1000, 70_000, SIZE - 512, 512, 65_536 * 3 - 7, 14];

/**
 * Applies ops to a store and to a flat model; contents must agree, every digest algorithm
 * the store offers must hash its extents as the model's bytes hash, and allocation must
 * never call written data unmapped.
 */
export async function checkAgainstModel(store: BlockDevice, ops: Op[]): Promise<void> {
  const model = Buffer.alloc(SIZE);
  for (const op of ops) {
    const offset = op.block * BLOCK;
    const length = Math.min(op.blocks * BLOCK, SIZE - offset);
    if (op.kind === 'write') {
      await store.write(Buffer.alloc(length, op.fill), offset);
      model.fill(op.fill, offset, offset + length);
    } else {
      await store.discard(offset, length);
      model.fill(0, offset, offset + length);
    }
  }
  const contents = Buffer.alloc(SIZE);
  await store.read(contents, 0);
  expect(contents.equals(model)).toBe(true);
  for (const algorithm of store.digestAlgorithms) {
    const digests = await store.digestExtents(Float64Array.from(DIGESTED), algorithm);
    const size = digestLength(algorithm);
    for (let i = 0; i < DIGESTED.length; i += 2) {
      const bytes = model.subarray(DIGESTED[i]!, DIGESTED[i]! + DIGESTED[i + 1]!);
      expect(digests.subarray((i / 2) * size, (i / 2 + 1) * size).equals(digestParts(algorithm, [bytes])), `${algorithm} of extent ${i / 2}`).toBe(true);
    }
  }
  // Walk the allocation map: extents tile the device, and unmapped ones hold only zeroes.
  for (let at = 0; at < SIZE; ) {
    const { mapped, length } = await store.allocation(at, SIZE);
    expect(length).toBeGreaterThan(0);
    expect(at + length).toBeLessThanOrEqual(SIZE);
    if (!mapped) expect(model.subarray(at, at + length).every((b) => b === 0)).toBe(true);
    at += length;
  }
}
