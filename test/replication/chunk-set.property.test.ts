/**
 * ChunkSet against a Set of numbers as the model: after any sequence of adds, deletes and
 * run deletions (chunks crowded around page and byte edges), membership (of single chunks
 * and of runs), size, ascending iteration and windows of it agree; a set made from a bitmap holds exactly the bits set below the count; a
 * clone is independent of its original. The delta table's endCopy, which clears a byte of
 * bits at a time from these pages, is checked against clearing chunk by chunk.
 */
import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ChunkSet } from '../../src/replication/chunk-set.js';
import { DeltaTable } from '../../src/replication/delta-table.js';

const PAGE = 4096 * 8;
/** Chunks near the first page's edges, a byte's edges, and a far page. */
const chunk = fc.oneof(fc.integer({ min: 0, max: 40 }), fc.integer({ min: PAGE - 20, max: PAGE + 20 }), fc.integer({ min: 5 * PAGE - 3, max: 5 * PAGE + 3 }));

type Op = { kind: 'add'; chunk: number } | { kind: 'addRun'; first: number; count: number } | { kind: 'delete'; chunk: number } | { kind: 'deleteRun'; first: number; count: number };

const ops = fc.array(
  fc.oneof(
    { weight: 4, arbitrary: fc.record({ kind: fc.constant('add' as const), chunk }) },
    // Runs present whole, for hasRun to find.
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('addRun' as const), first: chunk, count: fc.integer({ min: 1, max: 40 }) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('delete' as const), chunk }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('deleteRun' as const), first: chunk, count: fc.integer({ min: 0, max: 70 }) }) },
  ),
  { maxLength: 200 },
);

function apply(sequence: Op[]): { set: ChunkSet; model: Set<number> } {
  const set = new ChunkSet();
  const model = new Set<number>();
  for (const op of sequence) {
    if (op.kind === 'add') {
      expect(set.add(op.chunk)).toBe(!model.has(op.chunk));
      model.add(op.chunk);
    } else if (op.kind === 'addRun') {
      for (let c = op.first; c < op.first + op.count; c++) {
        set.add(c);
        model.add(c);
      }
    } else if (op.kind === 'delete') expect(set.delete(op.chunk)).toBe(model.delete(op.chunk));
    else {
      set.deleteRun(op.first, op.count);
      for (let c = op.first; c < op.first + op.count; c++) model.delete(c);
    }
  }
  return { set, model };
}

const ascending = (model: Set<number>): number[] => [...model].sort((a, b) => a - b);

describe('ChunkSet', () => {
  it('gives its chunks in windows of at most the size asked, ascending, all of them once', () => {
    fc.assert(
      fc.property(ops, fc.integer({ min: 1, max: 50 }), (sequence, size) => {
        const { set, model } = apply(sequence);
        const windows = [...set.windows(size)];
        expect(windows.flat()).toEqual(ascending(model));
        // Every window full but the last: a pass's progress counts whole windows.
        expect(windows.slice(0, -1).every((w) => w.length === size)).toBe(true);
        expect(windows.every((w) => w.length > 0 && w.length <= size)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('agrees with a Set after adds, deletes and run deletions', () => {
    fc.assert(
      fc.property(ops, fc.array(chunk, { maxLength: 20 }), (sequence, probes) => {
        const { set, model } = apply(sequence);
        expect(set.size).toBe(model.size);
        expect([...set]).toEqual(ascending(model));
        expect(set.toArray()).toEqual(ascending(model));
        for (const p of probes) expect(set.has(p)).toBe(model.has(p));
        for (const p of probes) {
          for (const count of [0, 1, 7, 9, 30]) expect(set.hasRun(p, count)).toBe(Array.from({ length: count }, (_, i) => p + i).every((c) => model.has(c)));
        }
      }),
    );
  });

  it('from a bitmap holds exactly the bits set below the count', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 4096 * 2 + 9 }), fc.nat({ max: 8 * (4096 * 2 + 9) + 7 }), (bits, count) => {
        const set = ChunkSet.fromBits(bits, count);
        // Bit by bit, the model: chunk c is bit c & 7 of byte c >> 3.
        const expected = Array.from({ length: Math.min(count, bits.length * 8) }, (_, c) => c).filter((c) => (bits[c >> 3]! & (1 << (c & 7))) !== 0);
        expect(set.toArray()).toEqual(expected);
        expect(set.size).toBe(expected.length);
      }),
    );
  });

  it('copies are independent of the original', () => {
    fc.assert(
      fc.property(ops, ops, (first, later) => {
        const { set, model } = apply(first);
        const copy = ChunkSet.of(set);
        const before = ascending(model);
        for (const op of later) {
          if (op.kind === 'add') copy.add(op.chunk);
          else if (op.kind === 'addRun') for (let c = op.first; c < op.first + op.count; c++) copy.add(c);
          else if (op.kind === 'delete') copy.delete(op.chunk);
          else copy.deleteRun(op.first, op.count);
        }
        expect(set.toArray()).toEqual(before);
        expect(set.size).toBe(before.length);
      }),
    );
  });
});

describe('DeltaTable.endCopy', () => {
  it('clears the copied chunks not written again, and counts what stays marked', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tandem-endcopy-'));
    try {
      const chunkSize = 4096;
      // Not a whole number of bytes of bits: the last byte is partly past the volume.
      const chunkCount = PAGE + 45;
      const table = await DeltaTable.open({ dir, volumeSize: chunkCount * chunkSize, chunkSize });
      const inVolume = fc.oneof(fc.integer({ min: 0, max: 40 }), fc.integer({ min: PAGE - 20, max: chunkCount - 1 }));
      await fc.assert(
        fc.asyncProperty(fc.uniqueArray(inVolume), fc.array(inVolume), fc.array(inVolume), async (marked, rewritten, markedLater) => {
          await table.markChunks(marked);
          const copied = table.markedSet();
          table.beginCopy(copied);
          for (const c of rewritten) table.note(c * chunkSize, 1);
          for (const c of markedLater) table.note(c * chunkSize, 1);
          const again = new Set([...rewritten, ...markedLater]);
          const expected = new Set([...marked, ...again].filter((c) => again.has(c) || !copied.has(c)));
          table.endCopy(true);
          expect(table.markedChunks()).toEqual([...expected].sort((a, b) => a - b));
          expect(table.dirtyChunks).toBe(expected.size);
          table.beginCopy(table.markedSet());
          table.endCopy(true);
          expect(table.dirtyChunks).toBe(0);
        }),
        { numRuns: 60 },
      );
      await table.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
