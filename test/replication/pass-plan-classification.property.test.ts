/**
 * The classification of a pass's chunks by allocation (pass-plan.ts, chunk-action.ts):
 * empty on both → skip, data only here → send, data only on the replica → unmap, data on
 * both → challenge (first sync, resync) or overwrite (delta pass). A chunk counts as holding
 * data when any of its blocks does, whatever piece of an answer tells so: answers that end
 * mid-chunk or on a chunk boundary, extents that straddle chunks, a last chunk shorter than
 * the others. A replica that cannot tell gets every chunk challenged (or sent). The same
 * holds when windows empty on both sides are skipped whole (PassPlanner.allEmpty).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AllocationCursor } from '../../src/replication/allocation-cursor.js';
import { ChunkAction, type ChunkActionCode } from '../../src/replication/chunk-action.js';
import { PassPlanner, type PassSource } from '../../src/replication/pass-plan.js';
import type { AllocationExtent, ReplicaLink } from '../../src/replication/replica-link.js';

const BLOCK = 512;

/** Runs of equal allocation of `blocks` (true: allocated), from `offset`, at most `maxExtents` of them and `maxLength` bytes. */
function extentsOf(blocks: readonly boolean[], size: number, offset: number, maxLength: number, maxExtents: number): AllocationExtent[] {
  const end = Math.min(size, offset + maxLength);
  const out: AllocationExtent[] = [];
  for (let at = offset; at < end; ) {
    const mapped = blocks[Math.floor(at / BLOCK)]!;
    let next = (Math.floor(at / BLOCK) + 1) * BLOCK;
    while (next < end && blocks[next / BLOCK] === mapped) next += BLOCK;
    next = Math.min(next, end);
    if (out.length === maxExtents) break;
    out.push({ offset: at, length: next - at, mapped });
    at = next;
  }
  return out;
}

interface Layout {
  size: number;
  chunkSize: number;
  source: boolean[];
  replica: boolean[];
}

function planner(layout: Layout, compare: boolean, options: { replicaExtents: number; sourceExtents: number; replicaUnknownFrom?: number; spans?: boolean }): PassPlanner {
  const { size, chunkSize } = layout;
  // The source as a block store answers (one extent per SEEK_DATA/SEEK_HOLE, possibly cut short).
  const cursor = new AllocationCursor(async (offset, maxLength) => extentsOf(layout.source, size, offset, maxLength, options.sourceExtents), size);
  const source: PassSource = {
    read: () => Promise.reject(new Error('planning reads nothing')),
    mapped: async (chunks) => (await cursor.mappedChunks(chunks, chunkSize)).map((m) => m ?? true),
    // Windows empty on both sides skipped whole, through the same cursor as the chunk-by-chunk answers.
    ...(options.spans ? { emptySpan: (first: number, count: number) => cursor.emptyOver(first * chunkSize, (first + count) * chunkSize) } : {}),
  };
  let asked = 0;
  const link = {
    allocation: async (offset: number, maxLength: number) => {
      // A replica that stops answering partway (refused, malformed): unknown from then on.
      if (options.replicaUnknownFrom !== undefined && asked++ >= options.replicaUnknownFrom) return undefined;
      return extentsOf(layout.replica, size, offset, maxLength, options.replicaExtents);
    },
  } as Pick<ReplicaLink, 'allocation'> as ReplicaLink;
  return new PassPlanner(source, link, chunkSize, size, compare);
}

/** What the pass must do with `chunk`, from the blocks themselves. */
function expected(layout: Layout, chunk: number, compare: boolean, replicaKnown: boolean): ChunkActionCode {
  const first = (chunk * layout.chunkSize) / BLOCK;
  const last = Math.min(layout.size, (chunk + 1) * layout.chunkSize) / BLOCK;
  const src = layout.source.slice(first, last).some(Boolean);
  const rep = layout.replica.slice(first, last).some(Boolean);
  if (!replicaKnown) return compare ? ChunkAction.CHALLENGE : ChunkAction.OVERWRITE;
  // A delta pass sends a changed chunk holding data whole, without asking the replica.
  if (!compare && src) return ChunkAction.OVERWRITE;
  if (!src && !rep) return ChunkAction.SKIP;
  if (src && !rep) return ChunkAction.SEND;
  if (!src && rep) return ChunkAction.UNMAP;
  return ChunkAction.CHALLENGE;
}

function sourceHolds(layout: Layout, chunk: number): boolean {
  return layout.source.slice((chunk * layout.chunkSize) / BLOCK, ((chunk + 1) * layout.chunkSize) / BLOCK).some(Boolean);
}

async function planAll(p: PassPlanner, chunks: readonly number[], window: number): Promise<ChunkActionCode[]> {
  const out: ChunkActionCode[] = [];
  for (let at = 0; at < chunks.length; at += window) {
    const w = chunks.slice(at, at + window);
    if (await p.allEmpty(w)) out.push(...w.map(() => ChunkAction.SKIP));
    else out.push(...(await p.plan(w)));
  }
  return out;
}

const layoutArb = fc
  .record({
    blocksPerChunk: fc.constantFrom(1, 2, 8),
    chunks: fc.integer({ min: 1, max: 24 }),
    // The last chunk may be short.
    shortBy: fc.integer({ min: 0, max: 7 }),
  })
  .chain(({ blocksPerChunk, chunks, shortBy }) => {
    const blocks = Math.max(1, chunks * blocksPerChunk - Math.min(shortBy, blocksPerChunk - 1));
    // Runs rather than independent blocks: extents that straddle chunk boundaries, chunks partly allocated.
    const bits = fc.array(fc.record({ run: fc.integer({ min: 1, max: 3 * blocksPerChunk }), on: fc.boolean() }), { minLength: 1, maxLength: 12 }).map((runs) => {
      const out: boolean[] = [];
      for (let i = 0; out.length < blocks; i++) {
        const r = runs[i % runs.length]!;
        for (let k = 0; k < r.run && out.length < blocks; k++) out.push(r.on);
      }
      return out;
    });
    return fc.record({ size: fc.constant(blocks * BLOCK), chunkSize: fc.constant(blocksPerChunk * BLOCK), source: bits, replica: bits });
  });

describe('pass planning by allocation', () => {
  it('every chunk gets the action its blocks call for, whatever the answers\' sizes, windows and chunk subset', async () => {
    await fc.assert(
      fc.asyncProperty(
        layoutArb,
        fc.boolean(),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 7 }),
        fc.array(fc.boolean(), { minLength: 24, maxLength: 24 }),
        fc.boolean(),
        async (layout, compare, replicaExtents, sourceExtents, window, pick, spans) => {
          const count = Math.ceil(layout.size / layout.chunkSize);
          // A delta pass covers the marked chunks only; a first sync covers them all.
          const chunks = Array.from({ length: count }, (_, c) => c).filter((c) => compare || pick[c]);
          const actions = await planAll(planner(layout, compare, { replicaExtents, sourceExtents, spans }), chunks, window);
          expect(actions).toEqual(chunks.map((c) => expected(layout, c, compare, true)));
        },
      ),
    );
  });

  it('a replica that stops telling its allocation gets every later chunk challenged (first sync) or overwritten (delta pass)', async () => {
    await fc.assert(
      fc.asyncProperty(layoutArb, fc.boolean(), fc.integer({ min: 0, max: 3 }), fc.boolean(), async (layout, compare, answers, spans) => {
        const chunks = Array.from({ length: Math.ceil(layout.size / layout.chunkSize) }, (_, c) => c);
        const p = planner(layout, compare, { replicaExtents: 1, sourceExtents: 1, replicaUnknownFrom: answers, spans });
        const actions = await planAll(p, chunks, 5);
        // Once the replica has not told, it is never trusted again: the chunks are cut in two at some k.
        const fits = chunks.some((k) => chunks.every((c) => actions[c] === expected(layout, c, compare, c < k || !compare && sourceHolds(layout, c))));
        const allKnown = chunks.every((c) => actions[c] === expected(layout, c, compare, true));
        expect(fits || allKnown).toBe(true);
      }),
    );
  });

  it('the four cases on chunk boundaries and in partly allocated chunks', async () => {
    // 8 chunks of 4 blocks. Source blocks: chunk 1's last block, chunks 2-3 through an extent across their boundary,
    // chunk 5's first block. Replica: chunk 3's first block, chunk 4 whole, chunk 6's last block.
    const on = (blocks: number[]) => Array.from({ length: 32 }, (_, b) => blocks.includes(b));
    const layout: Layout = { size: 32 * BLOCK, chunkSize: 4 * BLOCK, source: on([7, 10, 11, 12, 13, 20]), replica: on([12, 16, 17, 18, 19, 27]) };
    const all = [0, 1, 2, 3, 4, 5, 6, 7];
    const { SKIP, SEND, UNMAP, CHALLENGE, OVERWRITE } = ChunkAction;
    expect(await planAll(planner(layout, true, { replicaExtents: 64, sourceExtents: 1 }), all, 3)).toEqual([SKIP, SEND, SEND, CHALLENGE, UNMAP, SEND, UNMAP, SKIP]);
    // A delta pass sends what holds data here without asking; it asks the replica only about the rest.
    expect(await planAll(planner(layout, false, { replicaExtents: 1, sourceExtents: 1 }), [1, 3, 4, 7], 2)).toEqual([OVERWRITE, OVERWRITE, UNMAP, SKIP]);
    // A replica that cannot tell: challenge everything (correctness first).
    expect(await planAll(planner(layout, true, { replicaExtents: 64, sourceExtents: 1, replicaUnknownFrom: 0 }), all, 8)).toEqual(all.map(() => CHALLENGE));
  });
});
