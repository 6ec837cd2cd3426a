/**
 * FileBlockStore.allocationMap (one native job walking SEEK_DATA/SEEK_HOLE) against the
 * one-extent allocation() it replaces in a pass's walk: for random pieces written into a
 * sparse file and any start and length, the map is the sequence of extents a walk of
 * allocation() calls finds — contiguous from the start, none empty, within the length asked
 * and the device. It stops after its extent bound, or the caller's (the walk goes on from
 * where it stopped), refuses what allocation() refuses, and the wrappers and stores without
 * a map of their own answer through allocationMapOf.
 */
import { openSync, closeSync, writeSync, ftruncateSync } from 'node:fs';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { allocationMapOf, type AllocationExtent, type BlockDevice } from '../../src/block/device.js';
import { FileBlockStore } from '../../src/block/file-store.js';
import { MemoryBlockStore } from '../../src/block/memory-store.js';
import { makeTempDir } from './temp-dir.js';

const BLOCK = 4096;
const BLOCKS = 2048;
const SIZE = BLOCKS * BLOCK;

/** A walk of allocation() answers, adjacent answers of one state merged. */
async function walkOfAllocation(device: BlockDevice, offset: number, maxLength: number): Promise<AllocationExtent[]> {
  const out: AllocationExtent[] = [];
  const end = Math.min(offset + maxLength, device.size);
  for (let at = offset; at < end; ) {
    const a = await device.allocation(at, end - at);
    out.push({ offset: at, length: a.length, mapped: a.mapped });
    at += a.length;
  }
  return merged(out);
}

/** Adjacent extents of one state as one. */
function merged(extents: readonly AllocationExtent[]): AllocationExtent[] {
  const out: AllocationExtent[] = [];
  for (const e of extents) {
    const last = out[out.length - 1];
    if (last && last.mapped === e.mapped) last.length += e.length;
    else out.push({ ...e });
  }
  return out;
}

describe('FileBlockStore allocation map', () => {
  const temp = makeTempDir('fs-allocation-map');
  afterAll(() => temp.remove());
  let files = 0;

  async function storeWith(pieces: ReadonlyArray<{ block: number; blocks: number }>): Promise<FileBlockStore> {
    const path = temp.file(`lun-${files++}.img`);
    const fd = openSync(path, 'w');
    ftruncateSync(fd, SIZE);
    for (const p of pieces) writeSync(fd, Buffer.alloc(p.blocks * BLOCK, 0x5a), 0, p.blocks * BLOCK, p.block * BLOCK);
    closeSync(fd);
    return FileBlockStore.open({ path });
  }

  const pieces = fc.array(fc.record({ block: fc.integer({ min: 0, max: BLOCKS - 1 }), blocks: fc.integer({ min: 1, max: 64 }) }), { maxLength: 40 }).map((ps) => ps.map((p) => ({ block: p.block, blocks: Math.min(p.blocks, BLOCKS - p.block) })));

  it('is what a walk of allocation() finds, from any start, for any length', async () => {
    await fc.assert(
      fc.asyncProperty(pieces, fc.integer({ min: 0, max: BLOCKS - 1 }), fc.integer({ min: 1, max: BLOCKS + 100 }), async (written, startBlock, lengthBlocks) => {
        const store = await storeWith(written);
        try {
          const offset = startBlock * BLOCK;
          const map = await store.allocationMap(offset, lengthBlocks * BLOCK);
          let at = offset;
          for (const e of map) {
            expect(e.offset).toBe(at);
            expect(e.length).toBeGreaterThan(0);
            at += e.length;
          }
          expect(at).toBe(Math.min(offset + lengthBlocks * BLOCK, SIZE));
          expect(merged(map)).toEqual(await walkOfAllocation(store, offset, lengthBlocks * BLOCK));
          // Whatever was written is mapped.
          for (const p of written) {
            const from = Math.max(p.block * BLOCK, offset);
            const to = Math.min((p.block + p.blocks) * BLOCK, at);
            for (const e of map) if (e.offset < to && from < e.offset + e.length) expect(e.mapped).toBe(true);
          }
        } finally {
          await store.close();
        }
      }),
      { numRuns: 40 },
    );
  });

  it('stops after its extent bound; a walk goes on from where it stopped', async () => {
    // 600 separate pieces: more extents than one call walks.
    const store = await storeWith(Array.from({ length: 600 }, (_, i) => ({ block: i * 3, blocks: 1 })));
    try {
      const first = await store.allocationMap(0, SIZE);
      const all = [...first];
      for (let at = 0, calls = 1; ; calls++) {
        const last = all[all.length - 1]!;
        at = last.offset + last.length;
        if (at >= SIZE) {
          expect(calls).toBeGreaterThan(1);
          break;
        }
        all.push(...(await store.allocationMap(at, SIZE - at)));
      }
      expect(first.length).toBeLessThan(1200);
      expect(merged(all)).toEqual(await walkOfAllocation(store, 0, SIZE));
    } finally {
      await store.close();
    }
  });

  it('stops after the extents its caller asks for at most, and goes on from there alike', async () => {
    const store = await storeWith(Array.from({ length: 20 }, (_, i) => ({ block: i * 3, blocks: 1 })));
    try {
      const whole = await store.allocationMap(0, SIZE);
      const first = await store.allocationMap(0, SIZE, 3);
      expect(first).toEqual(whole.slice(0, 3));
      const last = first[2]!;
      expect(await store.allocationMap(last.offset + last.length, SIZE, 4)).toEqual(whole.slice(3, 7));
      expect(await store.allocationMap(0, SIZE, 0)).toEqual(whole.slice(0, 1));
    } finally {
      await store.close();
    }
  });

  it('refuses a start beyond the device as allocation() does', async () => {
    const store = await storeWith([]);
    try {
      await expect(store.allocationMap(SIZE, BLOCK)).rejects.toMatchObject({ code: 'EINVAL' });
      await expect(store.allocation(SIZE, BLOCK)).rejects.toMatchObject({ code: 'EINVAL' });
    } finally {
      await store.close();
    }
  });

  it('a store without a map of its own answers through allocationMapOf with its one extent', async () => {
    const memory = new MemoryBlockStore({ size: 1 << 20 });
    await memory.write(Buffer.alloc(BLOCK, 1), 0);
    const a = await memory.allocation(0, 1 << 20);
    expect(await allocationMapOf(memory, 0, 1 << 20)).toEqual([{ offset: 0, length: a.length, mapped: a.mapped }]);
  });
});
