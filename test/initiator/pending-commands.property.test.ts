/**
 * The commands waiting for the CmdSN window behave as a plain FIFO list would, through any
 * mix of pushes, shifts (past the 1,024 compaction point too), removals by tag, expiries and
 * a final take of all.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PendingCommands } from '../../src/initiator/pending-commands.js';

type Op =
  | { kind: 'push'; count: number; deadline: number }
  | { kind: 'shift'; count: number }
  | { kind: 'remove'; pick: number }
  | { kind: 'expire'; now: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('push' as const), count: fc.integer({ min: 1, max: 1500 }), deadline: fc.integer({ min: 0, max: 100 }) }),
  fc.record({ kind: fc.constant('shift' as const), count: fc.integer({ min: 1, max: 1500 }) }),
  fc.record({ kind: fc.constant('remove' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('expire' as const), now: fc.integer({ min: 0, max: 100 }) }),
);

describe('PendingCommands', () => {
  it('matches a FIFO list under any sequence of operations', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
        const queue = new PendingCommands<{ itt: number; deadline: number }>();
        let model: Array<{ itt: number; deadline: number }> = [];
        let nextItt = 1;
        for (const o of ops) {
          if (o.kind === 'push') {
            for (let i = 0; i < o.count; i++) {
              const c = { itt: nextItt++, deadline: o.deadline };
              queue.push(c);
              model.push(c);
            }
          } else if (o.kind === 'shift') {
            for (let i = 0; i < o.count; i++) expect(queue.shift()).toBe(model.shift());
          } else if (o.kind === 'remove') {
            // A tag that is queued, or (when the pick lands past the end) one that is not.
            const itt = model.length > 0 && o.pick % 4 !== 0 ? model[o.pick % model.length]!.itt : nextItt + 1;
            const index = model.findIndex((c) => c.itt === itt);
            const expected = index < 0 ? undefined : model.splice(index, 1)[0];
            expect(queue.remove(itt)).toBe(expected);
          } else {
            // Expiry looks once the oldest has expired, and then takes every expired one.
            const expired = model.length > 0 && model[0]!.deadline <= o.now ? model.filter((c) => c.deadline <= o.now) : [];
            if (expired.length > 0) model = model.filter((c) => c.deadline > o.now);
            expect(queue.expire(o.now)).toEqual(expired);
          }
          expect(queue.length).toBe(model.length);
        }
        expect(queue.values()).toEqual(model);
        expect(queue.takeAll()).toEqual(model);
        expect(queue.length).toBe(0);
        expect(queue.shift()).toBeUndefined();
      }),
      { numRuns: 300 },
    );
  });
});
