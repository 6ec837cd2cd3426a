/**
 * IntMap against Map as the model: after any sequence of sets and deletes (keys crowded into
 * a few slots so that probe runs collide and wrap, or spread over the whole safe-integer
 * range), every key reads back as in the model, the size agrees, and iteration gives the
 * model's entries in ascending key order. Entries coming and going at a steady count never
 * grow or reallocate the table (the reason it exists); a burst's table shrinks once drained.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IntMap } from '../../src/util/int-map.js';

type Op = { kind: 'set'; key: number; value: number } | { kind: 'delete'; key: number } | { kind: 'deleteAny'; pick: number };

const crowdedKey = fc.integer({ min: 0, max: 40 });
const anyKey = fc.oneof(crowdedKey, fc.integer({ min: 0, max: 0xffffffff }), fc.maxSafeNat());

function ops(key: fc.Arbitrary<number>): fc.Arbitrary<Op[]> {
  return fc.array(
    fc.oneof(
      { weight: 3, arbitrary: fc.record({ kind: fc.constant('set' as const), key, value: fc.integer() }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('delete' as const), key }) },
      { weight: 2, arbitrary: fc.record({ kind: fc.constant('deleteAny' as const), pick: fc.nat() }) },
    ),
    { maxLength: 300 },
  );
}

function checkAgainstModel(sequence: Op[], probes: number[]): void {
  const table = new IntMap<number>(8);
  const model = new Map<number, number>();
  for (const o of sequence) {
    if (o.kind === 'set') {
      table.set(o.key, o.value);
      model.set(o.key, o.value);
    } else {
      const key = o.kind === 'delete' ? o.key : [...model.keys()][o.pick % Math.max(1, model.size)];
      if (key === undefined) continue;
      expect(table.delete(key)).toBe(model.delete(key));
    }
    expect(table.size).toBe(model.size);
  }
  for (const [k, v] of model) {
    expect(table.get(k)).toBe(v);
    expect(table.has(k)).toBe(true);
  }
  for (const k of probes) {
    expect(table.has(k)).toBe(model.has(k));
    expect(table.get(k)).toBe(model.get(k));
  }
  const sorted = [...model.entries()].sort((a, b) => a[0] - b[0]);
  expect(table.entries()).toEqual(sorted);
  expect([...table]).toEqual(sorted);
  expect(table.values()).toEqual(sorted.map(([, v]) => v));
}

describe('IntMap', () => {
  it('agrees with Map over crowded keys (colliding, wrapping probe runs)', () => {
    fc.assert(fc.property(ops(crowdedKey), fc.array(crowdedKey), checkAgainstModel), { numRuns: 300 });
  });

  it('agrees with Map over keys anywhere in the safe-integer range', () => {
    fc.assert(fc.property(ops(anyKey), fc.array(anyKey), checkAgainstModel), { numRuns: 300 });
  });

  it('agrees with Map through a growth past the shrinking size and a drain back', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.maxSafeNat(), { minLength: 600, maxLength: 1500 }), fc.nat(), (keys, seed) => {
        const table = new IntMap<number>();
        const model = new Map<number, number>();
        keys.forEach((k, i) => {
          table.set(k, i);
          model.set(k, i);
        });
        const grown = table.capacity;
        expect(grown).toBeGreaterThanOrEqual(2048);
        // Drain all but a few, in an order of the seed's choosing.
        const order = keys.map((k, i) => ({ k, at: (i * 7919 + seed) % keys.length })).sort((a, b) => a.at - b.at);
        for (const { k } of order.slice(0, keys.length - 5)) {
          expect(table.delete(k)).toBe(true);
          model.delete(k);
        }
        expect(table.capacity).toBeLessThan(grown);
        checkAgainstModel([], keys);
        for (const [k, v] of model) expect(table.get(k)).toBe(v);
        expect(table.size).toBe(5);
      }),
      { numRuns: 30 },
    );
  });

  it('entries coming and going at a steady count never grow the table', () => {
    const table = new IntMap<object>();
    let next = 0;
    const live: number[] = [];
    for (let i = 0; i < 32; i++) table.set((live[live.length] = next++), {});
    const steady = table.capacity;
    // A session's tasks: one ends, another starts, a hundred thousand times over.
    for (let i = 0; i < 100_000; i++) {
      const done = live.splice((i * 13) % live.length, 1)[0]!;
      expect(table.delete(done)).toBe(true);
      table.set((live[live.length] = next++ * 7), {});
    }
    expect(table.size).toBe(32);
    expect(table.capacity).toBe(steady);
  });

  it('keeps no reference to a value once its entry is deleted (it would keep the value from the collector)', () => {
    fc.assert(
      fc.property(fc.uniqueArray(crowdedKey, { minLength: 1, maxLength: 30 }), fc.nat(), (keys, pick) => {
        const table = new IntMap<{ key: number }>();
        const values = keys.map((key) => ({ key }));
        values.forEach((v) => table.set(v.key, v));
        const gone = values[pick % values.length]!;
        table.delete(gone.key);
        const slots = (table as unknown as { valueSlots: unknown[] }).valueSlots;
        expect(slots.includes(gone)).toBe(false);
        expect(slots.filter((v) => v !== undefined)).toHaveLength(values.length - 1);
      }),
    );
  });

  it('refuses keys it cannot hold', () => {
    const table = new IntMap<number>();
    for (const bad of [-1, 0.5, Number.NaN, Number.MAX_SAFE_INTEGER + 1, Infinity]) expect(() => table.set(bad, 1)).toThrow(RangeError);
    expect(table.get(-1)).toBeUndefined();
    expect(table.delete(-1)).toBe(false);
  });

  it('clear empties it', () => {
    const table = new IntMap<number>();
    for (let k = 0; k < 50; k++) table.set(k, k);
    table.clear();
    expect(table.size).toBe(0);
    expect(table.entries()).toEqual([]);
    table.set(3, 4);
    expect(table.get(3)).toBe(4);
  });
});
