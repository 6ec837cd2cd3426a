/**
 * RangeLocks against a model (the held ranges as a list): `tryAcquire` takes a range exactly
 * when no held range overlaps it (the host write path's fast path relies on it taking nothing
 * otherwise), a release frees exactly its range once, and a waiting `acquire` gets its range
 * once what overlapped it is released.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RangeLocks } from '../../src/util/range-locks.js';

type Op = { kind: 'try'; start: number; blocks: number } | { kind: 'release'; pick: number } | { kind: 'releaseTwice'; pick: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('try' as const), start: fc.integer({ min: 0, max: 63 }), blocks: fc.integer({ min: 0, max: 16 }) }),
  fc.record({ kind: fc.constant('release' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('releaseTwice' as const), pick: fc.nat() }),
);

const overlaps = (a: { start: number; end: number }, b: { start: number; end: number }): boolean => a.start < b.end && b.start < a.end;

describe('range locks', () => {
  it('tryAcquire takes a range exactly when nothing held overlaps it; each release frees its range once', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 80 }), (ops) => {
        const locks = new RangeLocks();
        const held: Array<{ start: number; end: number; release: () => void }> = [];
        for (const o of ops) {
          if (o.kind === 'try') {
            const range = { start: o.start, end: o.start + Math.max(o.blocks, 1) };
            const free = !held.some((h) => overlaps(h, range));
            const release = locks.tryAcquire(o.start, o.blocks);
            expect(release !== undefined).toBe(free);
            if (release) held.push({ ...range, release });
          } else if (held.length > 0) {
            const [h] = held.splice(o.pick % held.length, 1);
            h!.release();
            // A second call does nothing (it must not free another holder's entry).
            if (o.kind === 'releaseTwice') h!.release();
          }
          expect(locks.size).toBe(held.length);
        }
      }),
    );
  });

  it('a waiting acquire gets its range once the overlapping holder releases it, not before', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 31 }), fc.integer({ min: 1, max: 16 }), fc.integer({ min: -15, max: 15 }), async (start, blocks, shift) => {
        const locks = new RangeLocks();
        const first = locks.tryAcquire(start, blocks)!;
        const at = Math.max(0, start + shift);
        const overlapping = overlaps({ start, end: start + blocks }, { start: at, end: at + blocks });
        let got: (() => void) | undefined;
        const waiting = locks.acquire(at, blocks).then((r) => (got = r));
        await new Promise((r) => setImmediate(r));
        expect(got !== undefined).toBe(!overlapping);
        first();
        await waiting;
        expect(locks.size).toBe(1);
        got!();
        expect(locks.size).toBe(0);
      }),
    );
  });
});
