/** How two nodes' generations relate after each kind of event (DRBD's rules, table-driven). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BLANK_GENERATIONS, adopt, diverge, diverged, firstGenerations, peerFollows, relate, revertToBitmap, type Generations } from '../../src/replication/generations.js';

let next = 100n;
const id = () => next++;
const t = 1_000;

/** A primary and its backup right after the backup adopted the primary's history. */
function inSyncPair(): { p: Generations; b: Generations } {
  const p = firstGenerations(t, id());
  return { p, b: adopt(p) };
}

describe('generations', () => {
  it('a pair in sync is the same history from both sides', () => {
    const { p, b } = inSyncPair();
    expect(relate(p, b)).toEqual({ kind: 'same' });
    expect(relate(b, p)).toEqual({ kind: 'same' });
  });

  it('a fresh backup is blank to the primary, and the primary is ahead of nothing', () => {
    const p = firstGenerations(t, id());
    expect(relate(p, BLANK_GENERATIONS)).toEqual({ kind: 'peer-blank' });
    expect(relate(BLANK_GENERATIONS, p)).toEqual({ kind: 'self-blank' });
  });

  it('a primary that wrote while its peer was away is ahead, covered by its table', () => {
    const { p, b } = inSyncPair();
    const p2 = diverge(p, t + 1, id());
    expect(relate(p2, b)).toEqual({ kind: 'ahead', common: p.current, covered: true });
    expect(relate(b, p2)).toEqual({ kind: 'behind', common: p.current, covered: true });
  });

  it('a crashed primary that restarts (no new generation) meets its promoted backup as stale', () => {
    const { p, b } = inSyncPair();
    const promoted = diverge(b, t + 5, id());
    expect(relate(p, promoted)).toEqual({ kind: 'behind', common: p.current, covered: true });
    expect(relate(promoted, p)).toEqual({ kind: 'ahead', common: p.current, covered: true });
  });

  it('both sides changed after the common generation: split brain, from both sides', () => {
    const { p, b } = inSyncPair();
    const p2 = diverge(p, t + 1, id());
    const b2 = diverge(b, t + 2, id());
    expect(relate(p2, b2)).toEqual({ kind: 'split-brain', common: p.current });
    expect(relate(b2, p2)).toEqual({ kind: 'split-brain', common: p.current });
  });

  it('discarding local changes turns a split brain into a resync from the other side', () => {
    const { p, b } = inSyncPair();
    const p2 = revertToBitmap(diverge(p, t + 1, id()));
    const b2 = diverge(b, t + 2, id());
    expect(relate(p2, b2)).toEqual({ kind: 'behind', common: p.current, covered: true });
    expect(relate(b2, p2)).toEqual({ kind: 'ahead', common: p.current, covered: true });
  });

  it('once the resync target adopts, and the source records that the peer follows, the pair is in sync', () => {
    const { p, b } = inSyncPair();
    const p2 = diverge(p, t + 1, id());
    const b2 = adopt(p2);
    expect(relate(peerFollows(p2), b2)).toEqual({ kind: 'same' });
  });

  it('a node several generations ahead is ahead without a covering table', () => {
    const { p, b } = inSyncPair();
    // Ahead, then followed by some other copy, then ahead again: the backup's generation is only in history.
    const p3 = diverge(peerFollows(diverge(p, t + 1, id())), t + 2, id());
    expect(relate(p3, b)).toEqual({ kind: 'ahead', common: b.current, covered: false });
    expect(relate(b, p3)).toEqual({ kind: 'behind', common: b.current, covered: false });
  });

  it('two volumes with nothing in common are unrelated', () => {
    expect(relate(firstGenerations(t, id()), firstGenerations(t, id()))).toEqual({ kind: 'unrelated' });
  });

  it('relations are symmetric for every sequence of events', () => {
    const event = fc.constantFrom('p-diverge', 'b-diverge', 'p-revert', 'b-revert', 'b-adopt', 'p-adopt', 'p-follows', 'b-follows');
    fc.assert(
      fc.property(fc.array(event, { maxLength: 12 }), (events) => {
        let { p, b } = inSyncPair();
        for (const e of events) {
          // As in the engine: a node already apart from its peer's history does not diverge again.
          if (e === 'p-diverge') p = diverged(p) ? p : diverge(p, t, id());
          else if (e === 'b-diverge') b = diverged(b) ? b : diverge(b, t, id());
          else if (e === 'p-revert') p = revertToBitmap(p);
          else if (e === 'b-revert') b = revertToBitmap(b);
          else if (e === 'b-adopt') b = adopt(p);
          else if (e === 'p-adopt') p = adopt(b);
          else if (e === 'p-follows') p = peerFollows(p);
          else b = peerFollows(b);
        }
        const forward = relate(p, b);
        const backward = relate(b, p);
        const mirror: Record<string, string> = { same: 'same', ahead: 'behind', behind: 'ahead', 'split-brain': 'split-brain', unrelated: 'unrelated', 'peer-blank': 'self-blank', 'self-blank': 'peer-blank' };
        expect(backward.kind).toBe(mirror[forward.kind]);
      }),
      { numRuns: 20000 },
    );
  });
});
