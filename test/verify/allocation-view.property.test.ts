/**
 * AllocationView against a model allocation map: whatever an end answers (a few extents at a
 * time, cut anywhere, or nothing: "cannot tell"), every hole it reports is a true hole (a
 * chunk with data is never skipped); with an end that always answers, it reports exactly the
 * holes of each window, asked in order or several at once; withinHoles agrees with the model.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AllocationExtent } from '../../src/block/device.js';
import { AllocationView, withinHoles, type ByteRange } from '../../src/verify/allocation.js';

const UNIT = 512;

/** Runs of mapped/unmapped units, and windows over them. */
const world = fc
  .array(fc.record({ mapped: fc.boolean(), units: fc.integer({ min: 1, max: 12 }) }), { minLength: 1, maxLength: 30 })
  .chain((runs) => {
    const units = runs.reduce((n, r) => n + r.units, 0);
    const cut = fc.integer({ min: 0, max: units });
    return fc.record({
      runs: fc.constant(runs),
      units: fc.constant(units),
      windows: fc.array(fc.tuple(cut, cut), { maxLength: 8 }),
      // Per answer: how many extents it gives (0: an empty answer), or "cannot tell".
      answers: fc.infiniteStream(fc.oneof(fc.integer({ min: 1, max: 4 }), fc.constant(0), fc.constant('unknown' as const))),
      perfect: fc.boolean(),
      together: fc.boolean(),
    });
  });

function mappedAt(runs: Array<{ mapped: boolean; units: number }>): boolean[] {
  return runs.flatMap((r) => Array.from({ length: r.units }, () => r.mapped));
}

/** The model's extents from `at` (bytes, unit-aligned), each run cut at `at`. */
function extentsFrom(map: boolean[], at: number): AllocationExtent[] {
  const out: AllocationExtent[] = [];
  for (let u = at / UNIT; u < map.length; ) {
    let v = u;
    while (v < map.length && map[v] === map[u]) v++;
    out.push({ offset: u * UNIT, length: (v - u) * UNIT, mapped: map[u]! });
    u = v;
  }
  return out;
}

function modelHoles(map: boolean[], from: number, to: number): ByteRange[] {
  const out: ByteRange[] = [];
  for (let u = from; u < to; u++) {
    if (map[u]) continue;
    const last = out[out.length - 1];
    if (last && last.offset + last.length === u * UNIT) last.length += UNIT;
    else out.push({ offset: u * UNIT, length: UNIT });
  }
  return out;
}

describe('AllocationView', () => {
  it('reports only true holes, and all of them from an end that always answers', async () => {
    await fc.assert(
      fc.asyncProperty(world, async ({ runs, units, windows, answers, perfect, together }) => {
        const map = mappedAt(runs);
        const size = units * UNIT;
        const view = new AllocationView(async (offset, maxLength) => {
          expect(offset % UNIT).toBe(0);
          expect(offset + maxLength).toBe(size);
          const all = extentsFrom(map, offset);
          if (perfect) return all;
          const n = answers.next().value;
          return n === 'unknown' ? undefined : all.slice(0, n);
        }, size);
        const asked = windows.map(([a, b]) => [Math.min(a, b), Math.max(a, b)] as const).sort((x, y) => x[0] - y[0]);
        const results = together
          ? await Promise.all(asked.map(([from, to]) => view.holes(from * UNIT, (to - from) * UNIT)))
          : await asked.reduce<Promise<ByteRange[][]>>(async (acc, [from, to]) => [...(await acc), await view.holes(from * UNIT, (to - from) * UNIT)], Promise.resolve([]));
        results.forEach((holes, i) => {
          const [from, to] = asked[i]!;
          for (const h of holes) {
            expect(h.offset).toBeGreaterThanOrEqual(from * UNIT);
            expect(h.offset + h.length).toBeLessThanOrEqual(to * UNIT);
            for (let u = h.offset / UNIT; u < (h.offset + h.length) / UNIT; u++) expect(map[u]).toBe(false);
          }
          if (perfect) expect(holes).toEqual(modelHoles(map, from, to));
        });
      }),
      { numRuns: 300 },
    );
  });

  it('withinHoles: a range lies in one hole exactly when every unit of it is in that hole', () => {
    fc.assert(
      fc.property(world, fc.integer({ min: 0, max: 60 }), fc.integer({ min: 1, max: 10 }), ({ runs, units }, start, length) => {
        const map = mappedAt(runs);
        const holes = modelHoles(map, 0, units);
        const from = Math.min(start, units - 1);
        const to = Math.min(units, from + length);
        const expected = Array.from({ length: to - from }, (_, i) => map[from + i] === false).every(Boolean);
        expect(withinHoles(holes, from * UNIT, (to - from) * UNIT)).toBe(expected);
      }),
      { numRuns: 300 },
    );
  });
});
