/** ChurnBag against a Set over random adds and deletes: the same members, sizes and answers. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ChurnBag, type BagEntry } from '../../src/util/churn-bag.js';

describe('ChurnBag', () => {
  it('holds what a Set would, whatever the order of adds and deletes', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ add: fc.boolean(), which: fc.nat({ max: 15 }) }), { maxLength: 300 }), (ops) => {
        const entries: Array<BagEntry & { id: number }> = Array.from({ length: 16 }, (_, id) => ({ id, bagIndex: -1 }));
        const bag = new ChurnBag<BagEntry & { id: number }>();
        const model = new Set<number>();
        for (const { add, which } of ops) {
          const e = entries[which]!;
          if (add) {
            bag.add(e);
            model.add(which);
          } else {
            expect(bag.delete(e)).toBe(model.delete(which));
          }
          expect(bag.size).toBe(model.size);
          expect(bag.entries.map((x) => x.id).sort((a, b) => a - b)).toEqual([...model].sort((a, b) => a - b));
          for (const x of entries) expect(x.bagIndex >= 0).toBe(model.has(x.id));
        }
      }),
    );
  });
});
