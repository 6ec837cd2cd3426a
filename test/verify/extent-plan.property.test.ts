import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PlanError, chunkExtent, entriesPerList, mergeChunks, planBatches, planVolume, splitExtents } from '../../src/verify/plan.js';

/** Volumes of up to 3000 chunks (the arithmetic does not depend on more), any tail length. */
const volume = fc
  .record({ blockSize: fc.constantFrom(512, 4096), chunkBlocks: fc.integer({ min: 1, max: 2048 }), fullChunks: fc.nat(3000), tail: fc.nat(2047) })
  .map(({ blockSize, chunkBlocks, fullChunks, tail }) => ({
    blockSize,
    chunkBlocks,
    totalBlocks: Math.max(1, fullChunks * chunkBlocks + (tail % chunkBlocks)),
  }));

describe('extent planning', () => {
  it('covers the volume exactly, in order, without overlap; only the last chunk may be short', () => {
    fc.assert(
      fc.property(volume, ({ totalBlocks, blockSize, chunkBlocks }) => {
        const plan = planVolume(totalBlocks, blockSize, chunkBlocks * blockSize, 16384);
        // Plain checks in the loop (expect() per chunk is slow); one assertion names the first bad chunk.
        let next = 0;
        let bad: string | undefined;
        for (let i = 0; i < plan.chunkCount && bad === undefined; i++) {
          const e = chunkExtent(plan, i);
          const want = i < plan.chunkCount - 1 ? chunkBlocks : totalBlocks - (plan.chunkCount - 1) * chunkBlocks;
          if (e.lba !== next || e.blocks !== want || e.blocks <= 0) bad = `chunk ${i}: ${JSON.stringify(e)}, expected lba ${next} blocks ${want}`;
          next += e.blocks;
        }
        expect(bad).toBeUndefined();
        expect(next).toBe(totalBlocks);
      }),
      { numRuns: 200 },
    );
  });

  it('batches every chunk exactly once, each list within the limit', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 20_000 }), fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 1024 }), (chunks, depth, max) => {
        const perList = entriesPerList(chunks, depth, max);
        expect(perList).toBeGreaterThanOrEqual(1);
        expect(perList).toBeLessThanOrEqual(max);
        const batches = planBatches(chunks, perList);
        let next = 0;
        let bad: string | undefined;
        for (const b of batches) {
          if (b.firstChunk !== next || b.chunkCount <= 0 || b.chunkCount > perList) bad ??= `batch ${JSON.stringify(b)} after chunk ${next}`;
          next += b.chunkCount;
        }
        expect(bad).toBeUndefined();
        expect(next).toBe(chunks);
      }),
    );
  });

  it('merges adjacent differing chunks and splits extents back into the same blocks', () => {
    fc.assert(
      fc.property(volume, fc.uniqueArray(fc.nat(), { maxLength: 60 }), fc.integer({ min: 1, max: 5000 }), ({ totalBlocks, blockSize, chunkBlocks }, picks, maxIo) => {
        const plan = planVolume(totalBlocks, blockSize, chunkBlocks * blockSize, 16384);
        const chunks = [...new Set(picks.map((p) => p % plan.chunkCount))].sort((a, b) => a - b);
        const extents = mergeChunks(plan, chunks);
        const blocksOf = (es: { lba: number; blocks: number }[]): Set<number> => {
          const s = new Set<number>();
          for (const e of es) for (let b = e.lba; b < e.lba + e.blocks; b += Math.max(1, Math.floor(e.blocks / 7))) s.add(b);
          return s;
        };
        // Same coverage as the chunks themselves, and no two extents touching.
        expect(extents.reduce((n, e) => n + e.blocks, 0)).toBe(chunks.reduce((n, c) => n + chunkExtent(plan, c).blocks, 0));
        for (let i = 1; i < extents.length; i++) expect(extents[i]!.lba).toBeGreaterThan(extents[i - 1]!.lba + extents[i - 1]!.blocks);
        const pieces = splitExtents(extents, maxIo);
        for (const p of pieces) expect(p.blocks).toBeLessThanOrEqual(maxIo);
        expect(pieces.reduce((n, e) => n + e.blocks, 0)).toBe(extents.reduce((n, e) => n + e.blocks, 0));
        for (const b of blocksOf(extents)) expect(pieces.some((p) => b >= p.lba && b < p.lba + p.blocks)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('refuses chunk sizes the target cannot challenge, with the reason', () => {
    expect(() => planVolume(1000, 512, 1000, 16384)).toThrow(PlanError);
    expect(() => planVolume(1000, 512, 1000, 16384)).toThrow(/multiple of the 512-byte block/);
    expect(() => planVolume(1000, 512, 16 * 1024 * 1024, 16384)).toThrow(/maximum extent of 8388608 bytes/);
    expect(() => planVolume(0, 512, 512, 16384)).toThrow(PlanError);
  });
});
