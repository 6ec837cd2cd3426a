/** Sparse image files as the thin first-sync tests look at them: their data extents, allocated bytes and contents. */
import { statSync } from 'node:fs';
import { expect } from 'vitest';
import type { BlockDevice } from '../../../src/block/device.js';

/** [start, end) ranges holding data (SEEK_DATA/SEEK_HOLE through the store). */
export async function dataExtents(store: Pick<BlockDevice, 'allocation' | 'size'>, from = 0, to = store.size): Promise<Array<[number, number]>> {
  const out: Array<[number, number]> = [];
  for (let at = from; at < to; ) {
    const a = await store.allocation(at, to - at);
    if (a.mapped) out.push([at, at + a.length]);
    at += a.length;
  }
  return out;
}

/** Bytes the file takes on disk. */
export function allocatedBytes(path: string): number {
  return statSync(path).blocks * 512;
}

/** Whether [offset, offset+length) holds no data in `store`. */
export async function isHole(store: Pick<BlockDevice, 'allocation' | 'size'>, offset: number, length: number): Promise<boolean> {
  return (await dataExtents(store, offset, offset + length)).length === 0;
}

/** Both stores read the same everywhere: compared over the union of their data extents, zeroes elsewhere on both. */
export async function expectSameContent(a: BlockDevice, b: BlockDevice): Promise<void> {
  expect(b.size).toBe(a.size);
  const ranges = [...(await dataExtents(a)), ...(await dataExtents(b))].sort((x, y) => x[0] - y[0]);
  const piece = 8 * 1024 * 1024;
  for (const [start, end] of ranges) {
    for (let at = start; at < end; at += piece) {
      const n = Math.min(piece, end - at);
      const [x, y] = [Buffer.alloc(n), Buffer.alloc(n)];
      await Promise.all([a.read(x, at), b.read(y, at)]);
      if (!x.equals(y)) expect.fail(`the images differ in [${at}, ${at + n})`);
    }
  }
}
