/**
 * RangeLedger keeps ranges as columns of numbers: against a plain array of objects under
 * random pushes, shifts and hand-overs (across its growth and its compaction), it yields
 * the same ranges in the same order.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RangeLedger } from '../../../src/replication/range-ledger.js';

type Entry = [offset: number, length: number, discard: boolean, at: number, tag: number];

const listed = (l: RangeLedger, count?: number): Entry[] => {
  const out: Entry[] = [];
  l.forEach((offset, length, discard, tag) => out.push([offset, length, discard, 0, tag]), count);
  return out;
};
const withoutAt = (e: readonly Entry[]): Entry[] => e.map(([o, l, d, , t]) => [o, l, d, 0, t]);

const step = fc.oneof(
  fc.record({ kind: fc.constant('push' as const), n: fc.integer({ min: 1, max: 700 }), offset: fc.integer({ min: 0, max: 2 ** 50 }), length: fc.integer({ min: 0, max: 2 ** 32 }), discard: fc.boolean(), at: fc.integer({ min: 0, max: 2 ** 45 }), tag: fc.nat() }),
  fc.record({ kind: fc.constant('shift' as const), n: fc.integer({ min: 0, max: 900 }) }),
  fc.record({ kind: fc.constant('peek' as const), n: fc.integer({ min: 0, max: 900 }) }),
  fc.record({ kind: fc.constant('take' as const) }),
);

describe('RangeLedger', () => {
  it('holds what an array of ranges would, in order', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 40 }), (steps) => {
        const ledger = new RangeLedger(4);
        let model: Entry[] = [];
        for (const s of steps) {
          if (s.kind === 'push') {
            for (let i = 0; i < s.n; i++) {
              ledger.push(s.offset + i, s.length, s.discard, s.at + i, s.tag + i);
              model.push([s.offset + i, s.length, s.discard, s.at + i, s.tag + i]);
            }
          } else if (s.kind === 'shift') {
            ledger.shift(s.n);
            model = model.slice(Math.min(s.n, model.length));
          } else if (s.kind === 'peek') {
            expect(listed(ledger, s.n)).toEqual(withoutAt(model.slice(0, s.n)));
          } else {
            const taken = ledger.takeAll();
            expect(listed(taken)).toEqual(withoutAt(model));
            expect(taken.length).toBe(model.length);
            model = [];
          }
          expect(ledger.length).toBe(model.length);
          expect(ledger.oldestAt).toBe(model[0]?.[3]);
        }
        expect(listed(ledger)).toEqual(withoutAt(model));
      }),
      { numRuns: 200 },
    );
  });
});
